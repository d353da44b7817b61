"""One quick look at the network before a download, so an offline machine, or a server that
accepts connections and never answers, fails in seconds with a clear message instead of
minutes of a client's retries."""

from __future__ import annotations

import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request

#: Seconds the one request may wait for each step (connecting, then the first answer).
PROBE_SECONDS = 5.0


def unreachable(url: str, timeout: float = PROBE_SECONDS) -> str | None:
    """Why ``url``'s server gives no answer to one HEAD request within ``timeout`` seconds
    per step, or None when it answers (any HTTP status). The request goes through the proxy
    that ``HTTPS_PROXY``/``HTTP_PROXY`` name unless ``NO_PROXY`` exempts the host, as the
    Hub's client does.

    Example:
        >>> unreachable("http://127.0.0.1:9")  # doctest: +ELLIPSIS
        '127.0.0.1:9 could not be reached (...)'
    """
    parts = urllib.parse.urlsplit(url)
    where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    proxies = urllib.request.ProxyHandler()  # the environment's proxies, read now
    opener = urllib.request.build_opener(proxies)
    proxy = proxies.proxies.get(parts.scheme)
    if proxy and urllib.request.proxy_bypass(parts.hostname or ""):
        proxy = None
    through = f" through the proxy {urllib.parse.urlsplit(proxy).netloc}" if proxy else ""
    try:
        with opener.open(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None  # it answered
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, ssl.SSLCertVerificationError):
            return None  # it answered; the client judges its certificate
        if isinstance(reason, socket.timeout | TimeoutError):
            return f"{where} could not be reached{through} (no answer within {timeout:g} s)"
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        return f"{where} could not be reached{through} ({text})"

"""One quick look at the network before a download, so an offline machine fails in seconds
with a clear message instead of minutes of a client's retries."""

from __future__ import annotations

import socket
import urllib.parse

#: Seconds the one connection attempt may take.
PROBE_SECONDS = 3.0


def unreachable(url: str, timeout: float = PROBE_SECONDS) -> str | None:
    """Why the host of ``url`` cannot be reached (one TCP connection, ``timeout`` seconds),
    or None when it can.

    Example:
        >>> unreachable("http://127.0.0.1:9")  # doctest: +ELLIPSIS
        '127.0.0.1:9 could not be reached (...)'
    """
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return None
    except OSError as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        return f"{parts.hostname}:{port} could not be reached ({reason})"

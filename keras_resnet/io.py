"""Atomic file writes: a reader (or a run killed mid-write) never sees half a file.

Every file the package writes goes through ``atomic_write``: the content goes to a temporary
file beside the target, which is renamed over it. Files get normal permissions (as ``open``
gives them under the process umask), not the 0600 of ``tempfile.mkstemp``.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable


def _process_umask() -> int:
    umask = os.umask(0)  # the only way to read it; set back at once, at import time
    os.umask(umask)
    return umask


#: Permissions ``open`` gives new files in this process.
_FILE_MODE = 0o666 & ~_process_umask()


def check_writable(path: str, argument: str = "path", *, folder_ok: bool = False) -> None:
    """Refuse, before any work and without creating anything, a ``path`` that cannot be
    written: a folder there (unless ``folder_ok``), or a file where a folder above it should be.

    Example:
        >>> import tempfile
        >>> check_writable(tempfile.gettempdir(), "json")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The `json` argument should name a file, not a folder. Received: json='...'
    """
    if os.path.isdir(path) and not folder_ok:
        raise ValueError(
            f"The `{argument}` argument should name a file, not a folder. "
            f"Received: {argument}={path!r}"
        )
    above = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(above):
        above = os.path.dirname(above)
    if not os.path.isdir(above):
        raise ValueError(
            f"The `{argument}` argument should be in a folder that exists or can be created. "
            f"Received: {argument}={path!r} ({above!r} is a file)"
        )


def atomic_write(path: str, write: Callable[[str], object]) -> str:
    """Call ``write(tmp_path)``, then rename the temporary file over ``path``.

    The folder is created if needed (a folder at ``path``, or a file above it, is refused);
    on any error the temporary file is removed and ``path`` is left as it was. Returns
    ``path``.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "sub", "a.txt")
        >>> def write(tmp):
        ...     with open(tmp, "w") as f:
        ...         f.write("hello")
        >>> atomic_write(path, write) == path and open(path).read()
        'hello'
    """
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot write the file {path!r}: it is a folder.")
    try:
        os.makedirs(directory, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a file where a folder above `path` is
        raise NotADirectoryError(
            f"Cannot write the file {path!r}: a file is in the way of its folder {directory!r}."
        ) from None
    # The temporary name ends as the target does: Keras picks the format by suffix.
    tmp = os.path.join(directory, f".tmp.{os.getpid()}.{uuid.uuid4().hex}.{os.path.basename(path)}")
    try:
        write(tmp)
        # Some writers (safetensors) create 0600 files: give the file what `open` would.
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def write_text_atomic(path: str, text: str) -> str:
    """Write ``text`` to ``path`` atomically. Returns ``path``.

    Example:
        >>> import os, tempfile
        >>> path = write_text_atomic(os.path.join(tempfile.mkdtemp(), "t.md"), "# hi\\n")
        >>> open(path).read()
        '# hi\\n'
    """

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    return atomic_write(path, write)


def write_json_atomic(path: str, payload) -> str:
    """Write ``payload`` as indented JSON to ``path`` atomically. Returns ``path``.

    Example:
        >>> import json, os, tempfile
        >>> path = write_json_atomic(os.path.join(tempfile.mkdtemp(), "m.json"), {"a": 1})
        >>> json.load(open(path))
        {'a': 1}
    """
    return write_text_atomic(path, json.dumps(payload, indent=2) + "\n")


def read_json(path: str):
    """The JSON value in ``path``; a file that is not JSON is refused by name (ValueError).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
        >>> _ = open(path, "w").write("{'a': 1")
        >>> read_json(path)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The file '...m.json' is not valid JSON (...); restore or remove it.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(
            f"The file {path!r} is not valid JSON ({str(error)[:80]}); restore or remove it."
        ) from None


def sha256_file(path: str) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(delete=False) as f:
        ...     _ = f.write(b"abc")
        >>> sha256_file(f.name)[:16]
        'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

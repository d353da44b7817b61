"""One run per output directory: an exclusive lock file holding the holder's pid and host.

Two ``keras-resnet train`` runs into the same ``--output`` would interleave history.csv rows
and overwrite each other's models. ``directory_lock`` makes the second one stop before it
writes anything. A lock left by a process that died (kill -9, reboot) is taken over with a
warning; one held on another host cannot be checked and is refused with how to clear it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import warnings
from collections.abc import Iterator

LOCK_FILE = ".keras_resnet.lock"


class DirectoryInUseError(OSError):
    """Another live process holds the directory's lock."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _holder(path: str) -> dict:
    try:
        with open(path) as handle:
            holder = json.load(handle)
        return holder if isinstance(holder, dict) else {}
    except (OSError, ValueError):
        return {}  # being written right now, or garbage: treated below


def _take(path: str) -> bool:
    """Create the lock file if there is none; True when this process now holds it."""
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
    with os.fdopen(descriptor, "w") as handle:
        json.dump(me, handle)
    return True


@contextlib.contextmanager
def directory_lock(directory: str, *, purpose: str = "a run") -> Iterator[str]:
    """Hold ``directory``'s exclusive lock inside the block (the directory is created; one
    that cannot be is refused as the caller's ``output_dir``).

    Raises ``DirectoryInUseError`` ("in use by pid N on HOST") when a live process holds it.
    A lock whose process is gone on this host is taken over with a warning.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> with directory_lock(folder):
        ...     os.path.exists(os.path.join(folder, LOCK_FILE))
        True
        >>> os.path.exists(os.path.join(folder, LOCK_FILE))
        False
    """
    try:
        os.makedirs(directory, exist_ok=True)
    except (OSError, TypeError) as error:  # a file there or above it, no permission, None
        raise ValueError(
            "The `output_dir` argument should be a directory that exists or can be created. "
            f"Received: output_dir={directory!r} ({getattr(error, 'strerror', None) or error})"
        ) from error
    path = os.path.join(directory, LOCK_FILE)
    for _ in range(3):  # another process may take over a stale lock at the same moment
        if _take(path):
            break
        holder = _holder(path)
        pid, host = holder.get("pid"), holder.get("host")
        if not isinstance(pid, int):
            time.sleep(0.1)  # written a moment ago by a process that is still filling it in
            holder = _holder(path)
            pid, host = holder.get("pid"), holder.get("host")
        if not isinstance(pid, int) or (host == socket.gethostname() and not _alive(pid)):
            gone = f"pid {pid}, which is no longer running" if pid else "an unreadable lock file"
            warnings.warn(
                f"{directory!r} was locked by {gone} (killed?); taking the lock over.",
                stacklevel=3,
            )
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            continue
        where = f" on {host}" if host and host != socket.gethostname() else ""
        raise DirectoryInUseError(
            f"The output directory {directory!r} is in use by pid {pid}{where} ({purpose} "
            f"is writing there; lock file {path!r}). Wait for it to finish, choose another "
            "output directory, or delete the lock file if that process is gone."
        )
    else:
        raise DirectoryInUseError(f"Could not lock {directory!r}: the lock file keeps changing.")
    try:
        yield path
    finally:
        if _holder(path).get("pid") == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)

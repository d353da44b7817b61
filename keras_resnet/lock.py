"""One run per output directory: an exclusive lock file holding the holder's pid and host.

Two ``keras-resnet train`` runs into the same ``--output`` would interleave history.csv rows
and overwrite each other's models. ``directory_lock`` makes the second one stop before it
writes anything. The lock is an ``flock`` on the lock file, which the kernel releases when
its holder dies (kill -9), so a dead holder's lock is taken over atomically, with a warning;
the file names its holder's pid and host, and one held on another host cannot be checked and
is refused with how to clear it.
"""

from __future__ import annotations

import contextlib
import fcntl
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


def _open_locked(path: str) -> int | None:
    """A descriptor of ``path`` (created if missing) holding its exclusive ``flock``, or
    None while another process holds it. The kernel drops the lock when its holder dies, so
    taking over a dead holder's lock is atomic; the lock file is removed on release, so the
    file this process locked must still be the one at ``path``, else it tries again."""
    for _ in range(20):
        descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        try:
            if os.stat(path).st_ino == os.fstat(descriptor).st_ino:
                return descriptor
        except FileNotFoundError:  # removed by its last holder after this process opened it
            pass
        os.close(descriptor)
    raise DirectoryInUseError(f"Could not lock {path!r}: the lock file keeps changing.")


def _in_use(directory: str, path: str, holder: dict, purpose: str) -> DirectoryInUseError:
    pid, host = holder.get("pid"), holder.get("host")
    where = f" on {host}" if host and host != socket.gethostname() else ""
    who = f"pid {pid}{where}" if isinstance(pid, int) else "another process"
    return DirectoryInUseError(
        f"The output directory {directory!r} is in use by {who} ({purpose} "
        f"is writing there; lock file {path!r}). Wait for it to finish, choose another "
        "output directory, or delete the lock file if that process is gone."
    )


def _claim(directory: str, path: str, purpose: str) -> int:
    """This process's descriptor of the lock, its pid and host written in the file; a lock
    file naming a live process (one that locked without ``flock``) or another host is
    refused, one naming a process that is gone is taken over with a warning."""
    descriptor = _open_locked(path)
    if descriptor is None:
        time.sleep(0.05)  # give a holder that has just locked it time to write its name
        raise _in_use(directory, path, _holder(path), purpose)
    holder = _holder(path)
    pid, host = holder.get("pid"), holder.get("host")
    if isinstance(pid, int) and pid != os.getpid():
        if host != socket.gethostname() or _alive(pid):
            os.close(descriptor)
            raise _in_use(directory, path, holder, purpose)
        warnings.warn(
            f"{directory!r} was locked by pid {pid}, which is no longer running (killed?); "
            "taking the lock over.",
            stacklevel=4,
        )
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, json.dumps(me).encode(), 0)
    return descriptor


@contextlib.contextmanager
def directory_lock(directory: str, *, purpose: str = "a run") -> Iterator[str]:
    """Hold ``directory``'s exclusive lock inside the block (the directory is created; one
    that cannot be is refused as the caller's ``output_dir``).

    Raises ``DirectoryInUseError`` ("in use by pid N on HOST") when a live process holds it.
    A lock whose process is gone on this host is taken over with a warning, atomically:
    the lock is an ``flock`` on the lock file, which the kernel releases when its holder dies.

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
    descriptor = _claim(directory, path, purpose)
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)  # while still locked: no other process holds this file
        os.close(descriptor)

"""Read IDX files (the MNIST / Fashion-MNIST format), gzipped or not."""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
#: Largest payload an IDX header may declare: the largest IDX datasets (EMNIST's) hold under
#: 1 GB, and a gzipped file is inflated only up to what its header declares.
MAX_IDX_BYTES = 1 << 30


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Return the array stored in an IDX file (``.gz`` or raw).

    The header is read first and checked: a payload beyond ``MAX_IDX_BYTES`` is refused
    before anything is inflated, and no more than the declared payload (and one byte, to
    tell a file longer than its header says) is ever inflated, so a small gzip bomb costs
    no memory. A truncated, corrupt or foreign file raises a one-line ValueError naming it.

    Example:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
        >>> with open(path, "wb") as f:
        ...     _ = f.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 9]))
        >>> read_idx(path).tolist()
        [7, 2, 9]
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        magic = f.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as f:
            shape, dtype = _read_header(path, f)
            expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            data = f.read(expected + 1)
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise ValueError(f"{path!r} is truncated or corrupt: {error}") from None
    if len(data) != expected:
        raise ValueError(
            f"{path!r} is truncated or corrupt: its header announces shape {shape} "
            f"({expected:,} bytes of data) but it holds "
            f"{'more' if len(data) > expected else f'{len(data):,} bytes'}"
        )
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def _read_header(path: str, f) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype an IDX header declares, refused when not an IDX header or when
    its payload would exceed ``MAX_IDX_BYTES``."""
    head = f.read(4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _DTYPES:
        raise ValueError(f"{path!r} is not an IDX file (bad magic number {head!r})")
    dims = f.read(4 * head[3])
    if len(dims) != 4 * head[3]:
        raise ValueError(f"{path!r} is truncated or corrupt: its header is cut off")
    shape = tuple(int.from_bytes(dims[i : i + 4], "big") for i in range(0, len(dims), 4))
    dtype = np.dtype(_DTYPES[head[2]])
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if declared > MAX_IDX_BYTES:
        raise ValueError(
            f"{path!r} declares shape {shape} ({declared:,} bytes of data), more than an "
            f"IDX dataset holds (at most {MAX_IDX_BYTES:,} bytes here): not read."
        )
    return shape, dtype

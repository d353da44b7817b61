"""A ``.keras`` file's members checked against sane sizes before anything is read.

A ``.keras`` file is a zip archive: ``config.json`` and ``metadata.json`` (text) and
``model.weights.h5``. A small file can declare members of gigabytes (a "zip bomb": a 4 MB
file holding a 2 GiB config.json took 4.8 GB of memory to load), and Keras only refuses
members over 4 GiB. The limits below are far above what any model of the package needs.
"""

from __future__ import annotations

import zipfile

#: Largest declared size of a text member (ResNet-1202's config.json is about 2 MB).
MAX_TEXT_BYTES = 64 << 20
#: Largest declared size of the weights: ResNet-152 with SGD momentum (two copies of its
#: 60 million float32 parameters) is about 0.5 GB; this leaves room for larger heads.
MAX_WEIGHTS_BYTES = 2 << 30
_TEXT_MEMBERS = ("config.json", "metadata.json")


def check_keras_archive(path: str) -> None:
    """Refuse a ``.keras`` file that is not a zip archive or whose members declare sizes
    beyond ``MAX_TEXT_BYTES`` (config and metadata) or ``MAX_WEIGHTS_BYTES`` (the rest).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
        >>> with zipfile.ZipFile(path, "w") as archive:
        ...     archive.writestr("config.json", "{}")
        >>> check_keras_archive(path)
    """
    if not zipfile.is_zipfile(path):
        raise ValueError(f"The file {path!r} is not a Keras .keras file (not a zip archive).")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    total = 0
    for member in members:
        limit = MAX_TEXT_BYTES if member.filename in _TEXT_MEMBERS else MAX_WEIGHTS_BYTES
        total += member.file_size
        if member.file_size > limit or total > MAX_WEIGHTS_BYTES + 2 * MAX_TEXT_BYTES:
            raise ValueError(
                f"The file {path!r} declares a member {member.filename!r} of "
                f"{member.file_size:,} bytes (at most {limit:,} here; archive members "
                f"total {total:,}): not a model of this package (a zip bomb?). Not loaded."
            )

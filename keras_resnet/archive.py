"""A ``.keras`` file's members checked against what its architecture needs before Keras
reads any of it.

A ``.keras`` file is a zip archive: ``config.json`` and ``metadata.json`` (text) and
``model.weights.h5``. A small file can declare members of gigabytes, or declare a small
member that inflates to gigabytes (a "zip bomb"), or hold hundreds of thousands of members;
Keras refuses only members over 4 GiB. Here every member is inflated once, in pieces of a
MiB, stopping as soon as it passes its declared size, and the weights may declare no more than
the parameters that ``config.json`` describes can fill (each layer's input shape is written
there), with room for two optimizer slots per parameter.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
import zlib

#: Largest declared size of a text member (ResNet-1202's config.json is about 2 MB).
MAX_TEXT_BYTES = 64 << 20
#: Largest declared size of the weights whatever the config says: ResNet-152 with SGD
#: momentum (two copies of its 60 million float32 parameters) is about 0.5 GB.
MAX_WEIGHTS_BYTES = 2 << 30
#: Most members a ``.keras`` file may hold (Keras writes three, and assets where a layer has).
MAX_MEMBERS = 1000
_TEXT_MEMBERS = ("config.json", "metadata.json")
_WEIGHTS_MEMBER = "model.weights.h5"
#: Layers that hold no weights, and the weights of the others as a function of their config
#: and their input's channels (None: a layer this bound does not know; the file is then held
#: to MAX_WEIGHTS_BYTES alone).
_WEIGHTLESS = {
    *("InputLayer", "Activation", "ReLU", "Add", "ZeroPadding2D", "MaxPooling2D"),
    *("AveragePooling2D", "GlobalAveragePooling2D", "Dropout", "Rescaling", "Flatten"),
    *("ZeroPadShortcut", "Identity", "Concatenate"),
}
#: Bytes per parameter at most: float64 values, with two optimizer slots (Adam) beside them.
_BYTES_PER_PARAMETER = 8 * 3
#: HDF5's own bytes per layer and per file, generously.
_LAYER_OVERHEAD, _FILE_OVERHEAD = 64 << 10, 4 << 20


def check_keras_archive(path: str) -> None:
    """Refuse, in one line, a ``.keras`` file that is not a zip archive, holds more than
    ``MAX_MEMBERS`` members, declares members beyond ``MAX_TEXT_BYTES`` (config and
    metadata), beyond ``MAX_WEIGHTS_BYTES`` or beyond what its config's parameters need
    (the weights), or whose members inflate to more (or other bytes) than they declare.

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
    if len(members) > MAX_MEMBERS:
        raise ValueError(
            f"The file {path!r} holds {len(members):,} members (at most {MAX_MEMBERS:,} here; "
            "Keras writes three): not a model of this package. Not loaded."
        )
    _check_declared_sizes(path, members)
    texts = {m.filename: _inflate(path, m) for m in members if m.filename in _TEXT_MEMBERS}
    weights = [m for m in members if m.filename == _WEIGHTS_MEMBER]
    needed = _weights_bytes_needed(texts.get("config.json", b""))
    if weights and needed is not None and weights[0].file_size > needed:
        raise ValueError(
            f"The file {path!r} declares {_WEIGHTS_MEMBER} of {weights[0].file_size:,} bytes; "
            f"the architecture in its config.json needs at most {needed:,}: not a model "
            "saved by Keras (a zip bomb?). Not loaded."
        )
    for member in members:
        if member.filename not in _TEXT_MEMBERS:
            _inflate(path, member, keep=False)


def _check_declared_sizes(path: str, members: list[zipfile.ZipInfo]) -> None:
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


def _inflate(path: str, member: zipfile.ZipInfo, *, keep: bool = True) -> bytes:
    """A member's bytes (with ``keep``; else only checked), inflated a MiB at a time and
    refused as soon as it passes its declared size, or when its CRC-32 differs."""
    inflater = _inflater(path, member)
    kept, size, crc = [], 0, 0
    with open(path, "rb") as handle:
        handle.seek(_data_offset(path, handle, member))
        left = member.compress_size
        while left > 0:
            pending = handle.read(min(1 << 20, left))
            if not pending:
                break
            left -= len(pending)
            while pending:
                data = inflater.decompress(pending, 1 << 20) if inflater else pending
                pending = inflater.unconsumed_tail if inflater else b""
                size, crc = size + len(data), zlib.crc32(data, crc)
                if size > member.file_size:
                    raise ValueError(
                        f"The file {path!r} has a member {member.filename!r} that inflates "
                        f"past the {member.file_size:,} bytes it declares (a zip bomb?). "
                        "Not loaded."
                    )
                if keep:
                    kept.append(data)
    if size != member.file_size or crc != member.CRC:
        raise ValueError(
            f"The file {path!r} is damaged: its member {member.filename!r} holds "
            f"{size:,} bytes of {member.file_size:,}, or other bytes than it declares "
            "(CRC-32). Not loaded."
        )
    return b"".join(kept)


def _inflater(path: str, member: zipfile.ZipInfo):
    if member.compress_type == zipfile.ZIP_STORED:
        return None
    if member.compress_type == zipfile.ZIP_DEFLATED:
        return zlib.decompressobj(-zlib.MAX_WBITS)
    raise ValueError(
        f"The file {path!r} compresses {member.filename!r} with zip method "
        f"{member.compress_type} (Keras stores or deflates): not loaded."
    )


def _data_offset(path: str, handle, member: zipfile.ZipInfo) -> int:
    """Where a member's data starts: after its local header, name and extra field."""
    handle.seek(member.header_offset)
    header = handle.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise ValueError(f"The file {path!r} is damaged: {member.filename!r} has no header.")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return member.header_offset + 30 + name_length + extra_length


def _weights_bytes_needed(config: bytes) -> int | None:
    """The most bytes a weights file of the Functional model in ``config`` can need, from
    each layer's config and input shape; None where the config is not such a model or
    holds a layer this bound does not know."""
    try:
        layers = json.loads(config)["config"]["layers"]
        counts = [_layer_parameters(layer) for layer in layers]
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    if not counts or None in counts:
        return None
    return sum(counts) * _BYTES_PER_PARAMETER + len(counts) * _LAYER_OVERHEAD + _FILE_OVERHEAD


def _layer_parameters(layer: dict) -> int | None:
    """The parameters (weights and statistics) of one layer of a Functional config."""
    kind, options = layer["class_name"], layer["config"]
    if kind in _WEIGHTLESS:
        return 0
    if kind == "Functional":
        needed = _weights_bytes_needed(json.dumps(layer).encode())
        return None if needed is None else needed // _BYTES_PER_PARAMETER
    channels = _input_channels(layer)
    if kind == "Conv2D":
        kernel = math.prod(options["kernel_size"]) * channels // options.get("groups", 1)
        return (kernel + options["use_bias"]) * options["filters"]
    if kind == "Dense":
        return (channels + options["use_bias"]) * options["units"]
    if kind == "BatchNormalization":
        return 4 * channels
    return None


def _input_channels(layer: dict) -> int:
    """The last dimension of a layer's first input, as its ``inbound_nodes`` record it."""
    tensor = layer["inbound_nodes"][0]["args"][0]
    while isinstance(tensor, list):
        tensor = tensor[0]
    return int(tensor["config"]["shape"][-1])

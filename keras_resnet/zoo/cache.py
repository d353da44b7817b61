"""The converted-weights cache: a checkpoint's file in the Keras layout, converted once and
kept under ``$KERAS_HOME/keras_resnet/weights``, keyed by the source file's sha256 and
``CONVERTER_VERSION``, with the converted file's own sha256 beside it (checked on every read:
well under a second for ResNet-152's 230 MB). A hit makes no network request at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import warnings

import numpy as np

from keras_resnet.checkpoint import Checkpoint
from keras_resnet.io import atomic_write, sha256_file, write_text_atomic
from keras_resnet.version import __version__
from keras_resnet.zoo import convert, hub
from keras_resnet.zoo.registry import COMMIT_PATTERN


def cache_dir() -> str:
    """Where converted weights live: ``$KERAS_HOME/keras_resnet/weights`` (``~/.keras``).

    Example:
        >>> cache_dir().endswith(os.path.join("keras_resnet", "weights"))
        True
    """
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "keras_resnet", "weights")


def _ref_path(checkpoint: Checkpoint) -> str:
    """A small file remembering the sha256 an unpinned checkpoint resolved to."""
    revision = checkpoint.revision or "main"
    safe = f"{checkpoint.repo_id}--{revision}--{checkpoint.filename}".replace("/", "--")
    return os.path.join(cache_dir(), "refs", safe)


def _known_sha256(checkpoint: Checkpoint) -> str | None:
    """The source sha256 without asking the Hub: the pin, or what a pinned revision gave."""
    if checkpoint.sha256:
        return checkpoint.sha256
    pinned_revision = COMMIT_PATTERN.fullmatch(checkpoint.revision or "")
    if (pinned_revision or hub.offline()) and os.path.isfile(_ref_path(checkpoint)):
        with open(_ref_path(checkpoint)) as handle:
            return handle.read().strip() or None
    return None


def converted_path(sha256: str) -> str:
    """The cache file of the conversion of the source file with this sha256.

    Example:
        >>> os.path.basename(converted_path("ab" * 32))[:8]
        'abababab'
    """
    return os.path.join(cache_dir(), f"{sha256}-c{convert.CONVERTER_VERSION}.safetensors")


def load_converted(checkpoint: Checkpoint) -> dict[str, np.ndarray]:
    """The checkpoint's weights in the Keras layout: from the verified cache, else downloaded
    (or taken from the Hub client's cache), verified, converted and cached. A cached file that
    fails its sha256 check or cannot be read is reported, removed and rebuilt; where the cache
    cannot be written, the conversion stays in memory, with a warning naming the folder.

    Example:
        >>> from keras_resnet.zoo import registry
        >>> state = load_converted(registry.get("resnet18.tv_in1k"))  # doctest: +SKIP
    """
    from safetensors.numpy import load

    known = _known_sha256(checkpoint)
    content = _verified_content(converted_path(known)) if known else None
    if content is not None:
        try:
            return load(content)
        except Exception as error:  # a file that passed its sha256 but does not parse
            _drop(converted_path(known), f"it cannot be read ({type(error).__name__})")
    sha256, state = _convert(checkpoint)
    cache_file = converted_path(sha256)
    try:
        store(state, cache_file, _metadata(checkpoint, sha256))
    except OSError as error:
        warnings.warn(
            f"The weights cache {os.path.dirname(cache_file)!r} cannot be written ({error}); the "
            "converted weights are kept in memory only (set KERAS_HOME to a writable folder "
            "to cache them).",
            stacklevel=3,
        )
    return state


def verified_conversion(checkpoint: Checkpoint) -> str | None:
    """The cached conversion's path when the source sha256 is known without asking the Hub
    and the file passes its sha256 check; else None (``load_converted`` makes it).

    Example:
        >>> from keras_resnet.zoo import registry
        >>> verified_conversion(registry.get("resnet18.tv_in1k"))  # doctest: +SKIP
        '~/.keras/keras_resnet/weights/5c1e...-c2.safetensors'
    """
    known = _known_sha256(checkpoint)
    return converted_path(known) if known and _verified_content(converted_path(known)) else None


def _convert(checkpoint: Checkpoint) -> tuple[str, dict[str, np.ndarray]]:
    """The source file's sha256 and its conversion, from the verified download."""
    source, sha256 = hub.download_verified(checkpoint)
    if not checkpoint.sha256:
        # The ref only saves a request next time; load_converted warns about the folder.
        with contextlib.suppress(OSError):
            write_text_atomic(_ref_path(checkpoint), sha256)
    return sha256, convert.read_checkpoint(source, format=checkpoint.format)


def _metadata(checkpoint: Checkpoint, source_sha256: str) -> dict:
    return {
        "source": hub.where(checkpoint),
        "source_sha256": source_sha256,
        "converter_version": str(convert.CONVERTER_VERSION),
        "keras_resnet_version": __version__,
    }


def _digest_path(path: str) -> str:
    return path + ".sha256"


def store(state: dict[str, np.ndarray], path: str, metadata: dict | None = None) -> str:
    """Write a converted state to the cache (``save_state``) and record the file's own
    sha256 beside it (``<file>.sha256``), which every later read checks. Returns ``path``.

    Example:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> _ = store({"dense/kernel": np.ones((2, 1), "float32")}, path)
        >>> _verified_content(path) is not None
        True
    """
    save_state(state, path, metadata)
    write_text_atomic(_digest_path(path), sha256_file(path))
    return path


def _drop(path: str, why: str) -> None:
    warnings.warn(
        f"The cached converted weights {path!r} are broken: {why}. They were removed and "
        "will be rebuilt from the verified download.",
        stacklevel=4,
    )
    for item in (path, _digest_path(path)):
        if os.path.lexists(item):
            os.remove(item)


def _verified_content(path: str) -> bytes | None:
    """The bytes of ``path`` when it exists and matches the sha256 recorded when it was
    written (read once: hashed and then parsed from memory); a file that does not is reported
    and removed (None)."""
    if not os.path.isfile(path):
        return None
    try:
        with open(_digest_path(path)) as handle:
            recorded = handle.read().strip()
    except OSError:
        _drop(path, "no sha256 was recorded for it")
        return None
    with open(path, "rb") as handle:
        content = handle.read()
    actual = hashlib.sha256(content).hexdigest()
    if actual != recorded:
        _drop(path, f"its sha256 is {actual}, recorded {recorded}")
        return None
    return content


def save_state(state: dict[str, np.ndarray], path: str, metadata: dict | None = None) -> None:
    """Write a Keras-layout state as safetensors, atomically and reproducibly.

    ``metadata`` goes in as one JSON string under ``"keras_resnet"``: safetensors writes
    several metadata keys in a random order, so the same conversion would hash differently.

    Example:
        >>> import tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save_state({"dense/kernel": np.ones((2, 1), "float32")}, target)
        >>> from safetensors.numpy import load_file
        >>> sorted(load_file(target))
        ['dense/kernel']
    """
    from safetensors import SafetensorError
    from safetensors.numpy import save_file

    header = {"keras_resnet": json.dumps(metadata, sort_keys=True)} if metadata else None
    try:
        atomic_write(path, lambda tmp: save_file(state, tmp, metadata=header))
    except SafetensorError as error:  # a full disk or a file-size limit, in safetensors' words
        raise OSError(f"Cannot write {path!r}: {error}") from error

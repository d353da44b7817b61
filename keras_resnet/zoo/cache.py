"""The converted-weights cache: a checkpoint's file in the Keras layout, converted once and
kept under ``$KERAS_HOME/keras_resnet/weights``, keyed by the source file's sha256 and
``CONVERTER_VERSION``. A hit makes no network request at all.
"""

from __future__ import annotations

import json
import os

import numpy as np

from keras_resnet.io import atomic_write, write_text_atomic
from keras_resnet.version import __version__
from keras_resnet.zoo import convert, hub
from keras_resnet.zoo.checkpoint import Checkpoint
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


def converted_weights(checkpoint: Checkpoint) -> str:
    """The path of the checkpoint's weights in the Keras layout, downloading and converting
    once.

    With the source sha256 known (pinned, or remembered for a pinned revision) and the
    conversion cached, nothing touches the network.

    Example:
        >>> from keras_resnet.zoo import registry
        >>> path = converted_weights(registry.get("resnet18.tv_in1k"))  # doctest: +SKIP
    """
    known = _known_sha256(checkpoint)
    if known and os.path.isfile(converted_path(known)):
        return converted_path(known)
    source, sha256 = hub.download_verified(checkpoint)
    target = converted_path(sha256)
    if not os.path.isfile(target):
        state = convert.read_checkpoint(source, format=checkpoint.format)
        metadata = {
            "source": hub.where(checkpoint),
            "source_sha256": sha256,
            "converter_version": str(convert.CONVERTER_VERSION),
            "keras_resnet_version": __version__,
        }
        save_state(state, target, metadata)
    if not checkpoint.sha256:
        write_text_atomic(_ref_path(checkpoint), sha256)
    return target


def save_state(state: dict[str, np.ndarray], path: str, metadata: dict | None = None) -> None:
    """Write a Keras-layout state as safetensors, atomically and reproducibly.

    ``metadata`` goes in as one JSON string under ``"keras_resnet"``: safetensors writes
    several metadata keys in a random order, so the same conversion would hash differently.

    Example:
        >>> import tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save_state({"dense/kernel": np.ones((2, 1), "float32")}, target)
        >>> sorted(load_state(target))
        ['dense/kernel']
    """
    from safetensors.numpy import save_file

    header = {"keras_resnet": json.dumps(metadata, sort_keys=True)} if metadata else None
    atomic_write(path, lambda tmp: save_file(state, tmp, metadata=header))


def load_state(path: str) -> dict[str, np.ndarray]:
    """Read a Keras-layout safetensors file (see ``save_state`` for an example)."""
    from safetensors.numpy import load_file

    return load_file(path)

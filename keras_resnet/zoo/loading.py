"""Put weights into a built model: ``weights=None``, a local file, or a pretrained name."""

from __future__ import annotations

import os

import keras

#: Local files that ``weights=`` accepts today.
WEIGHT_FILE_SUFFIXES = (".weights.h5", ".keras")

_PICKLE_SUFFIXES = (".bin", ".pth", ".pt", ".pkl", ".ckpt")


_FILE_SUFFIXES = (".h5", ".keras", ".safetensors", *_PICKLE_SUFFIXES)


def _is_local_path(weights: str) -> bool:
    """A path, as opposed to a pretrained name ("imagenet", "resnet50.a1_in1k", "hf://...")."""
    if weights.startswith("hf://"):
        return False
    return (
        os.path.exists(weights)
        or os.path.sep in weights
        or weights.lower().endswith(_FILE_SUFFIXES)
    )


def check_weights_argument(weights, *, arch: str) -> None:
    """Validate ``weights=`` before a model is built, so mistakes cost no build time.

    Accepts None or the path of an existing ``.weights.h5`` / ``.keras`` file. Pretrained
    names (``"imagenet"``, tags such as ``"a1_in1k"``) belong to the Hugging Face Hub zoo,
    which this release does not ship yet: they raise a ValueError that says so.

    Example:
        >>> check_weights_argument(None, arch="resnet50")
    """
    if weights is None:
        return
    if not isinstance(weights, (str, os.PathLike)):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to a weights file to be "
            f"loaded ({', '.join(WEIGHT_FILE_SUFFIXES)}). Received: weights={weights!r}"
        )
    path = os.fspath(weights)
    if not _is_local_path(path):
        raise ValueError(
            f"Pretrained weights ({path!r} for {arch}) come from the keras_resnet zoo on the "
            "Hugging Face Hub, which this release of keras_resnet does not ship yet. Use "
            "`weights=None` (random initialization) or the path to a weights file "
            f"({', '.join(WEIGHT_FILE_SUFFIXES)}). Received: weights={path!r}"
        )
    if path.lower().endswith(_PICKLE_SUFFIXES):
        raise ValueError(
            "keras_resnet never unpickles weight files (they can run arbitrary code). Convert "
            "the checkpoint to safetensors, `.weights.h5` or `.keras`. "
            f"Received: weights={path!r}"
        )
    if not path.endswith(WEIGHT_FILE_SUFFIXES):
        raise ValueError(
            f"The `weights` file must end in one of {', '.join(WEIGHT_FILE_SUFFIXES)}. "
            f"Received: weights={path!r}"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"The `weights` argument names a file that does not exist. Received: weights={path!r}"
        )


def load_weights(model: keras.Model, weights, *, arch: str) -> keras.Model:
    """Fill ``model`` with ``weights`` (see ``check_weights_argument``) and return it.

    Example:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> load_weights(model, None, arch="dense") is model
        True
    """
    check_weights_argument(weights, arch=arch)
    if weights is not None:
        model.load_weights(os.fspath(weights))
    return model

"""The one gate for weight files a user names: pickles refused, suffixes and existence checked,
legacy keras.applications ``.h5`` files told apart from Keras' ``.weights.h5`` (a leaf).

Example:
    >>> is_legacy_h5("resnet50_weights_tf_dim_ordering_tf_kernels.h5")
    True
"""

from __future__ import annotations

import os

#: Weight files that are Python pickles (torch.save): never read, they can run arbitrary code.
PICKLE_SUFFIXES = (".bin", ".pth", ".pt", ".pkl", ".ckpt")
#: What ``weights=`` takes as a local file.
WEIGHT_FILE_SUFFIXES = (".weights.h5", ".keras", ".safetensors", ".h5")


def is_legacy_h5(path: str) -> bool:
    """Whether ``path`` names a legacy keras.applications ``.h5`` (not Keras 3's
    ``.weights.h5``).

    Example:
        >>> is_legacy_h5("model.weights.h5"), is_legacy_h5("resnet50.H5")
        (False, True)
    """
    lower = str(path).lower()
    return lower.endswith(".h5") and not lower.endswith(".weights.h5")


def refuse_pickle(argument: str, value) -> None:
    """Raise the ValueError for a pickle, whichever argument names it.

    Example:
        >>> refuse_pickle("weights", "model.pth")
        Traceback (most recent call last):
        ...
        ValueError: keras_resnet never unpickles weight files (they can run arbitrary code); \
safetensors is the way: use a `.safetensors`, `.weights.h5` or `.keras` file. \
Received: weights='model.pth'
    """
    raise ValueError(
        "keras_resnet never unpickles weight files (they can run arbitrary code); "
        "safetensors is the way: use a `.safetensors`, `.weights.h5` or `.keras` file. "
        f"Received: {argument}={value!r}"
    )


def check_weight_file(
    path: str, argument: str = "weights", *, suffixes: tuple[str, ...] = WEIGHT_FILE_SUFFIXES
) -> None:
    """Refuse a pickle, a suffix outside ``suffixes`` and a missing file, in that order,
    naming ``argument``.

    Example:
        >>> check_weight_file("notes.txt")
        Traceback (most recent call last):
        ...
        ValueError: The `weights` file must end in one of .weights.h5, .keras, .safetensors, \
.h5. Received: weights='notes.txt'
    """
    lower = str(path).lower()
    if lower.endswith(PICKLE_SUFFIXES):
        refuse_pickle(argument, path)
    if not lower.endswith(suffixes):
        raise ValueError(
            f"The `{argument}` file must end in one of {', '.join(suffixes)}. "
            f"Received: {argument}={path!r}"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"The `{argument}` file does not exist. Received: {argument}={path!r}"
        )

"""The words every layer shares, defined once (a leaf module: it imports nothing of ours).

Variants and shortcut options of the paper, the batch-norm epsilon, the preprocessing keys a
checkpoint may state (timm's ``pretrained_cfg`` names), ImageNet's channel statistics, dtype
policies; the one "should be one of", "should be a positive integer", range and seed errors
(``check_choice``, ``check_positive``, ``check_number``, ``check_seed``), and
``preprocessing_values`` / ``check_preprocessing`` for the values of those keys.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping

#: Where the bottleneck's stride sits: "v1.5" on the 3x3 (torchvision, timm, every ImageNet
#: checkpoint on the Hub), "v1" on the first 1x1 (the paper's Caffe models, keras.applications).
VARIANTS = ("v1.5", "v1")
#: Section 3.3: A zero-padding identity, B projection where dimensions grow, C everywhere.
SHORTCUTS = ("A", "B", "C")
#: torch's BatchNorm epsilon, used by every model here (keras.applications uses 1.001e-5).
BN_EPSILON = 1e-5
#: What a pretrained checkpoint's evaluation preprocessing may say.
PREPROCESSING_KEYS = ("mean", "std", "crop_pct", "interpolation", "input_size")
INTERPOLATIONS = ("bilinear", "bicubic", "nearest", "area", "lanczos3")
#: ImageNet's RGB channel mean and standard deviation of [0, 1] pixels (torchvision, timm).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: torchvision's evaluation preprocessing: what a checkpoint that states none of it gets.
PREPROCESSING_DEFAULTS = {"mean": IMAGENET_MEAN, "std": IMAGENET_STD, "crop_pct": 0.875,
                          "interpolation": "bilinear", "input_size": (3, 224, 224)}  # fmt: skip
#: Keras dtype policies a recipe may train under (None: the recipe's, float32 as shipped).
DTYPE_POLICIES = (None, "float32", "mixed_float16", "mixed_bfloat16")
#: Weight files that are Python pickles (torch.save): never read, they can run arbitrary code.
PICKLE_SUFFIXES = (".bin", ".pth", ".pt", ".pkl", ".ckpt")


def check_choice(argument: str, value, allowed: Iterable) -> None:
    """Raise a ValueError naming ``argument``, what is allowed and ``value``, unless
    ``value`` is one of ``allowed``.

    Example:
        >>> check_choice("variant", "v1", VARIANTS)
        >>> check_choice("variant", "v2", VARIANTS)
        Traceback (most recent call last):
        ...
        ValueError: The `variant` argument should be one of 'v1.5', 'v1'. Received: variant='v2'
    """
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(
            f"The `{argument}` argument should be one of {', '.join(map(repr, allowed))}. "
            f"Received: {argument}={value!r}"
        )


def check_positive(name: str, value, *, allow_none: bool = True) -> None:
    """Refuse anything but a positive integer (or None where allowed): 0 is never read as
    "the default".

    Example:
        >>> check_positive("batch_size", 0)
        Traceback (most recent call last):
        ...
        ValueError: The `batch_size` argument should be a positive integer. Received: batch_size=0
    """
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"The `{name}` argument should be a positive integer. Received: {name}={value!r}"
        )


def check_number(name: str, value, allowed: str, within, *, allow_none: bool = False) -> None:
    """Refuse anything but a real number (not a bool) for which ``within(value)`` holds, or
    None where allowed; ``allowed`` words the range for the error.

    Example:
        >>> check_number("momentum", 1.5, "a number in [0, 1]", lambda v: 0 <= v <= 1)
        Traceback (most recent call last):
        ...
        ValueError: The `momentum` argument should be a number in [0, 1]. Received: momentum=1.5
    """
    if value is None and allow_none:
        return
    if not _reals((value,)) or not within(value):
        _refuse(name, value, allowed)


def check_seed(seed) -> None:
    """Refuse a seed that ``keras.utils.set_random_seed`` cannot take (None: unseeded), before
    anything is written.

    Example:
        >>> check_seed(-1)
        Traceback (most recent call last):
        ...
        ValueError: The `seed` argument should be None or an integer in [0, 2**32). \
Received: seed=-1
    """
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32
    ):
        _refuse("seed", seed, "None or an integer in [0, 2**32)")


def _refuse(key: str, value, allowed: str) -> None:
    raise ValueError(f"The `{key}` argument should be {allowed}. Received: {key}={value!r}")


def _reals(values) -> bool:
    return isinstance(values, tuple) and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values
    )


def check_preprocessing(mean, std, crop_pct, interpolation, input_size) -> None:
    """Refuse preprocessing values (``PREPROCESSING_KEYS``; tuples, not lists) that no
    pipeline can use: 1 or 3 means and stds above 0, crop_pct in (0, 1], three positive
    integers as ``input_size`` (channels, height, width).

    Example:
        >>> check_preprocessing(IMAGENET_MEAN, IMAGENET_STD, 1.2, "bilinear", (3, 224, 224))
        Traceback (most recent call last):
        ...
        ValueError: The `crop_pct` argument should be a number in (0, 1]. Received: crop_pct=1.2
    """
    check_choice("interpolation", interpolation, INTERPOLATIONS)
    if not _reals(mean) or len(mean) not in (1, 3):
        _refuse("mean", mean, "a tuple of 1 or 3 numbers (per channel, on [0, 1])")
    if not _reals(std) or len(std) not in (1, 3) or min(std) <= 0:
        _refuse("std", std, "a tuple of 1 or 3 numbers above 0")
    check_number("crop_pct", crop_pct, "a number in (0, 1]", lambda v: 0 < v <= 1)
    size = input_size
    if not (_reals(size) and len(size) == 3 and all(isinstance(v, int) and v > 0 for v in size)):
        _refuse("input_size", size, "(channels, height, width): three positive integers")


def preprocessing_values(values: Mapping | None, *, extra_keys: tuple[str, ...] = ()) -> dict:
    """``values`` (some of ``PREPROCESSING_KEYS``, and ``extra_keys``) completed with
    ``PREPROCESSING_DEFAULTS``, lists and arrays as tuples, an int ``input_size`` as
    ``(3, size, size)`` (timm's configs hold both), and checked by ``check_preprocessing``.
    Unknown keys are refused by name.

    Example:
        >>> values = preprocessing_values({"input_size": 256, "mean": [0.5], "std": [0.25]})
        >>> values["input_size"], values["mean"], values["crop_pct"]
        ((3, 256, 256), (0.5,), 0.875)
    """
    values = dict(values or {})
    allowed = (*PREPROCESSING_KEYS, *extra_keys)
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(
            f"The `preprocessing` argument takes the keys {allowed}. "
            f"Received unknown keys: {sorted(unknown)}"
        )
    values = {
        k: v if isinstance(v, str) or not hasattr(v, "__iter__") else tuple(v)
        for k, v in {**PREPROCESSING_DEFAULTS, **values}.items()
    }
    if isinstance(values["input_size"], int):
        values["input_size"] = (3, values["input_size"], values["input_size"])
    check_preprocessing(**{k: values[k] for k in PREPROCESSING_KEYS})
    return values


def preprocessing_dict(preprocessing) -> dict | None:
    """The preprocessing fields of whatever names them: None, a dict (timm's keys), a
    ``Preprocessing``, a ``Checkpoint``, or a model that carries one (``model.checkpoint``).

    Example:
        >>> preprocessing_dict({"crop_pct": 0.95})
        {'crop_pct': 0.95}
        >>> preprocessing_dict(keras_resnet.ResNet20()) is None  # random weights: none
        True
    """
    if preprocessing is not None and hasattr(preprocessing, "layers"):  # a keras.Model
        preprocessing = getattr(preprocessing, "checkpoint", None)
    if preprocessing is not None and hasattr(preprocessing, "preprocessing"):  # a Checkpoint
        preprocessing = preprocessing.preprocessing
    if preprocessing is not None and hasattr(preprocessing, "to_dict"):  # a Preprocessing
        preprocessing = preprocessing.to_dict()
    if preprocessing is None:
        return None
    if not isinstance(preprocessing, Mapping):
        raise ValueError(
            "The `preprocessing` argument should be None, a dict of mean/std/crop_pct/"
            "interpolation/input_size, a keras_resnet Preprocessing or Checkpoint, or a model "
            f"that carries one. Received: preprocessing={preprocessing!r}"
        )
    return dict(preprocessing)

"""The words every layer shares, defined once (a leaf module: it imports nothing of ours).

Variants and shortcut options of the paper, the batch-norm epsilon, ImageNet's channel
statistics, dtype policies; the one "should be one of", "should be a positive
integer", range and seed errors (``check_choice``, ``check_positive``, ``check_number``,
``check_seed``, ``refuse``).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

#: Where the bottleneck's stride sits: "v1.5" on the 3x3 (torchvision, timm, every ImageNet
#: checkpoint on the Hub), "v1" on the first 1x1 (the paper's Caffe models, keras.applications).
VARIANTS = ("v1.5", "v1")
#: Section 3.3: A zero-padding identity, B projection where dimensions grow, C everywhere.
SHORTCUTS = ("A", "B", "C")
#: torch's BatchNorm epsilon, used by every model here (keras.applications uses 1.001e-5).
BN_EPSILON = 1e-5
#: ImageNet's RGB channel mean and standard deviation of [0, 1] pixels (torchvision, timm).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: TensorFlow reads its inter-op thread count from this variable when it starts.
INTEROP_THREADS_ENV = "TF_NUM_INTEROP_THREADS"
#: Keras dtype policies a recipe may train under (None: the recipe's, float32 as shipped).
DTYPE_POLICIES = (None, "float32", "mixed_float16", "mixed_bfloat16")
#: The ways ``recipes.train`` feeds a recipe: the in-memory path, or tf.data.
PIPELINES = ("memory", "tfdata")


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


def real_numbers(values) -> bool:
    """Whether ``values`` is a tuple of real numbers (bools are not numbers here).

    Example:
        >>> real_numbers((1, 0.5)), real_numbers([1]), real_numbers((True,))
        (True, False, False)
    """
    return isinstance(values, tuple) and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values
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
    if not real_numbers((value,)) or not within(value):
        refuse(name, value, allowed)


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
        refuse("seed", seed, "None or an integer in [0, 2**32)")


def refuse(key: str, value, allowed: str) -> None:
    """Raise the ValueError "The `key` argument should be ``allowed``. Received: ...".

    Example:
        >>> refuse("depth", 7, "6n+2")
        Traceback (most recent call last):
        ...
        ValueError: The `depth` argument should be 6n+2. Received: depth=7
    """
    raise ValueError(f"The `{key}` argument should be {allowed}. Received: {key}={value!r}")


def check_pieces(values, boundaries, names: tuple[str, str] = ("values", "boundaries")) -> None:
    """Refuse a piecewise-constant schedule unless its values are learning rates above 0, its
    boundaries integers that increase, one fewer than values; errors name the caller's
    ``names``.

    Example:
        >>> check_pieces([0.1, 0.01], [20, 10])
        Traceback (most recent call last):
        ...
        ValueError: The `values` argument should have one more entry than `boundaries`, whose \
iterations should increase. Received: values=(0.1, 0.01), boundaries=(20, 10)
    """
    values, boundaries = tuple(values), tuple(boundaries)
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and v > 0 for v in values):
        raise ValueError(
            f"The `{names[0]}` argument should hold learning rates above 0. "
            f"Received: {names[0]}={values}"
        )
    if not all(isinstance(b, numbers.Integral) and not isinstance(b, bool) for b in boundaries):
        raise ValueError(
            f"The `{names[1]}` argument should hold iterations (integers). "
            f"Received: {names[1]}={boundaries}"
        )
    if len(values) != len(boundaries) + 1 or list(boundaries) != sorted(boundaries):
        raise ValueError(
            f"The `{names[0]}` argument should have one more entry than `{names[1]}`, whose "
            f"iterations should increase. Received: {names[0]}={values}, {names[1]}={boundaries}"
        )

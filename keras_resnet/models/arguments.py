"""Validation of constructor arguments, worded as keras.applications words it."""

from __future__ import annotations

from keras_resnet.vocabulary import SHORTCUTS, VARIANTS, check_positive

POOLINGS = (None, "avg", "max")
PRETRAINED_ACTIVATIONS = (None, "softmax")


def normalize_shortcut(shortcut) -> str:
    """Return "A", "B" or "C" (case-insensitive input).

    Example:
        >>> normalize_shortcut("a")
        'A'
    """
    value = shortcut.upper() if isinstance(shortcut, str) else shortcut
    if value not in SHORTCUTS:
        raise ValueError(
            "The `shortcut` argument should be 'A' (zero-padding identity), 'B' (projection "
            "where dimensions grow) or 'C' (projection everywhere), as in section 3.3 of the "
            f"paper. Received: shortcut={shortcut!r}"
        )
    return value


def check_variant(variant) -> None:
    """Raise ValueError unless ``variant`` is "v1.5" or "v1".

    Example:
        >>> check_variant("v1")
    """
    if variant not in VARIANTS:
        raise ValueError(
            "The `variant` argument should be 'v1.5' (stride on the bottleneck's 3x3, as in "
            "torchvision and timm) or 'v1' (stride on the first 1x1, as in the paper and "
            f"keras.applications). Received: variant={variant!r}"
        )


def check_head(*, include_top: bool, weights, classes, classifier_activation) -> None:
    """Check ``classes`` and ``classifier_activation`` against ``weights``.

    Example:
        >>> check_head(include_top=True, weights=None, classes=10, classifier_activation=None)
    """
    check_positive("classes", classes, allow_none=False)
    if weights is not None and include_top and classifier_activation not in PRETRAINED_ACTIVATIONS:
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the `classifier_activation` "
            "argument when using pretrained weights, with `include_top=True`. "
            f"Received: classifier_activation={classifier_activation!r}"
        )


def resolve_input_shape(
    input_shape,
    input_tensor,
    *,
    default_size: int,
    min_size: int,
    include_top: bool,
) -> tuple:
    """Return the (height, width, channels) the model is built for, or raise ValueError.

    Mirrors keras.applications' ``obtain_input_shape``: a default square shape when the
    caller gives none (spatial dims None when ``include_top=False``), a minimum size, and
    static spatial dims when ``include_top=True``.

    Example:
        >>> resolve_input_shape(None, None, default_size=224, min_size=32, include_top=False)
        (None, None, 3)
    """
    if input_shape is None and input_tensor is not None:
        input_shape = tuple(input_tensor.shape[1:])
    if input_shape is None:
        size = default_size if include_top else None
        return (size, size, 3)
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(
            "The `input_shape` argument should be a tuple (height, width, channels). "
            f"Received: input_shape={input_shape!r}"
        )
    height, width, channels = input_shape
    if not isinstance(channels, int) or channels < 1:
        raise ValueError(
            "The `input_shape` argument should have a positive integer number of channels "
            f"(channels_last). Received: input_shape={input_shape!r}"
        )
    for size in (height, width):
        if size is not None and (not isinstance(size, int) or size < min_size):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}. "
                f"Received: input_shape={input_shape!r}"
            )
    if include_top and (height is None or width is None):
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape!r}"
        )
    return tuple(input_shape)

"""Turn a ``NetSpec`` into a Functional Keras model, with keras.applications' arguments."""

from __future__ import annotations

import contextlib
import sys

import keras

from keras_resnet import zoo
from keras_resnet.models import arguments
from keras_resnet.models.blocks import basic_block, bottleneck_block, conv_bn
from keras_resnet.models.model import ResNetModel
from keras_resnet.models.specs import BASIC, NetSpec
from keras_resnet.vocabulary import check_choice

DEFAULT_SIZE = {"imagenet": 224, "cifar": 32}
MIN_SIZE = 32


@contextlib.contextmanager
def recursion_limit(limit: int):
    """Raise Python's recursion limit to at least ``limit`` inside the block.

    Keras maps a Functional graph recursively, one frame per layer on the longest path:
    ResNet-1202 (about 3,600 layers deep) needs more than the default 1,000.

    Example:
        >>> with recursion_limit(20_000):
        ...     sys.getrecursionlimit() >= 20_000
        True
    """
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _stem(x, spec: NetSpec, kernel_regularizer):
    """Table 1's 7x7/2 conv + 3x3/2 max-pool, or section 4.2's single 3x3 conv."""
    if spec.family == "cifar":
        return conv_bn(x, spec.widths[0], 3, name="conv1", kernel_regularizer=kernel_regularizer)
    x = conv_bn(
        x, spec.widths[0], 7, strides=2, name="conv1", kernel_regularizer=kernel_regularizer
    )
    # Zero padding equals torch's -inf padding here: the input is a ReLU output (>= 0).
    x = keras.layers.ZeroPadding2D(padding=1, name="pool1_pad")(x)
    return keras.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)


def _stages(x, spec: NetSpec, *, shortcut, variant, zero_init_residual, kernel_regularizer):
    """conv2_x ... conv5_x (conv4_x for CIFAR); stride 2 opens every stage after the first."""
    for index, (width, blocks) in enumerate(zip(spec.widths, spec.blocks_per_stage, strict=True)):
        for b in range(blocks):
            options = dict(
                strides=2 if index > 0 and b == 0 else 1,
                shortcut_option=shortcut if spec.residual else None,
                zero_init_residual=zero_init_residual,
                kernel_regularizer=kernel_regularizer,
                name=f"conv{index + 2}_block{b + 1}",
            )
            if spec.block == BASIC:
                x = basic_block(x, width, **options)
            else:
                x = bottleneck_block(x, width, variant=variant, **options)
    return x


def _head(x, *, include_top, pooling, classes, classifier_activation, kernel_regularizer):
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        # Under a mixed policy the logits and softmax stay in float32 for a stable loss.
        mixed = keras.config.dtype_policy().name.startswith("mixed")
        return keras.layers.Dense(
            classes,
            activation=classifier_activation,
            kernel_regularizer=kernel_regularizer,
            dtype="float32" if mixed else None,
            name="predictions",
        )(x)
    if pooling == "avg":
        return keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def _checked_inputs(spec: NetSpec, *, include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, variant, shortcut):  # fmt: skip
    """Every argument of ``build_model`` checked, before anything is built or downloaded:
    the input shape, the shortcut option (upper case) and what ``weights`` resolved to."""
    if keras.config.image_data_format() != "channels_last":
        raise ValueError(
            "keras_resnet models are channels_last; keras.config.image_data_format() is "
            f"{keras.config.image_data_format()!r}. Call "
            "keras.config.set_image_data_format('channels_last') first."
        )
    arguments.check_variant(variant)
    shortcut = arguments.normalize_shortcut(shortcut)
    check_choice("include_top", include_top, (True, False))
    check_choice("pooling", pooling, arguments.POOLINGS)
    arguments.check_head(
        include_top=include_top,
        weights=weights,
        classes=classes,
        classifier_activation=classifier_activation,
    )
    shape = arguments.resolve_input_shape(
        input_shape,
        input_tensor,
        default_size=DEFAULT_SIZE[spec.family],
        min_size=MIN_SIZE,
        include_top=include_top,
    )
    layout = zoo.ModelLayout(
        spec.name,
        variant=None if spec.block == BASIC else variant,
        shortcut=shortcut if spec.residual else "none",
        include_top=include_top,
        classes=classes,
    )
    return shape, shortcut, zoo.resolve_weights(weights, layout=layout)  # once, before building


def build_model(
    spec: NetSpec,
    *,
    include_top: bool = True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str | None = None,
    variant: str = "v1.5",
    shortcut: str = "B",
    zero_init_residual: bool = False,
    kernel_regularizer=None,
) -> keras.Model:
    """Build the network ``spec`` describes, validating every argument first.

    The arguments are those of keras.applications' ResNet50 plus ``variant``, ``shortcut``,
    ``zero_init_residual`` (zero gamma in each residual branch's last BN) and
    ``kernel_regularizer`` (applied to every conv and dense kernel).

    Example:
        >>> from keras_resnet.models.specs import cifar_spec
        >>> model = build_model(cifar_spec(20), input_shape=(32, 32, 3), classes=10)
        >>> model.output_shape
        (None, 10)
    """
    shape, shortcut, resolved = _checked_inputs(
        spec, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, variant=variant, shortcut=shortcut,
    )  # fmt: skip
    if input_tensor is None:
        img_input = keras.Input(shape=shape)
    elif not keras.backend.is_keras_tensor(input_tensor):
        img_input = keras.Input(tensor=input_tensor, shape=shape)
    else:
        img_input = input_tensor

    x = _stem(img_input, spec, kernel_regularizer)
    x = _stages(
        x,
        spec,
        shortcut=shortcut,
        variant=variant,
        zero_init_residual=zero_init_residual,
        kernel_regularizer=kernel_regularizer,
    )
    x = _head(
        x,
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        kernel_regularizer=kernel_regularizer,
    )
    inputs = keras.utils.get_source_inputs(input_tensor) if input_tensor is not None else img_input
    with recursion_limit(20 * sum(spec.blocks_per_stage) + 1_000):
        model = ResNetModel(
            inputs,
            x,
            name=name or spec.name,
            checkpoint=resolved.checkpoint,
        )
    return zoo.load_weights(model, resolved)

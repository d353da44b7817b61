"""Residual and plain building blocks (section 3 and Fig. 5 of the paper).

Every block is a function ``block(x, ...) -> x`` on Keras tensors, naming its layers as
keras.applications does (``{name}_1_conv``, ``{name}_1_bn``, ``{name}_0_conv`` for the
projection, ``{name}_add``, ``{name}_out``), so code written against keras.applications ports.

Numerical conventions follow torchvision, whose checkpoints the zoo converts: no conv
biases, BatchNormalization with epsilon 1e-5 and momentum 0.9 (torch's 0.1), and every
strided 3x3/7x7 convolution preceded by an explicit symmetric ``ZeroPadding2D`` with a
``"valid"`` convolution (Keras' ``"same"`` pads asymmetrically on even inputs).
"""

from __future__ import annotations

import functools

import keras

from keras_resnet.models.layers import ZeroPadShortcut
from keras_resnet.models.specs import BOTTLENECK_EXPANSION
from keras_resnet.vocabulary import BN_EPSILON

BN_MOMENTUM = 0.9


def conv_initializer() -> keras.initializers.Initializer:
    """He initialisation (the paper's ref. [13]) in torchvision's fan-out form.

    Example:
        >>> conv_initializer().mode
        'fan_out'
    """
    return keras.initializers.VarianceScaling(
        scale=2.0, mode="fan_out", distribution="untruncated_normal"
    )


def conv_bn(
    x,
    filters: int,
    kernel_size: int,
    *,
    name: str,
    strides: int = 1,
    relu: bool = True,
    zero_gamma: bool = False,
    kernel_regularizer=None,
):
    """Convolution (no bias), BatchNormalization and optionally ReLU.

    A kernel larger than 1x1 with ``strides > 1`` gets an explicit ``{name}_pad`` layer and
    a ``"valid"`` convolution so that padding is symmetric, as in torch.

    Example:
        >>> x = conv_bn(keras.Input((32, 32, 3)), 16, 3, name="conv1")
        >>> tuple(x.shape)
        (None, 32, 32, 16)
    """
    padding = "same"
    if strides > 1 and kernel_size > 1:
        x = keras.layers.ZeroPadding2D(padding=kernel_size // 2, name=f"{name}_pad")(x)
        padding = "valid"
    if kernel_size == 1:
        padding = "valid"
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=False,
        kernel_initializer=conv_initializer(),
        kernel_regularizer=kernel_regularizer,
        name=f"{name}_conv",
    )(x)
    x = keras.layers.BatchNormalization(
        axis=-1,
        epsilon=BN_EPSILON,
        momentum=BN_MOMENTUM,
        gamma_initializer="zeros" if zero_gamma else "ones",
        name=f"{name}_bn",
    )(x)
    if relu:
        x = keras.layers.Activation("relu", name=f"{name}_relu")(x)
    return x


def shortcut(
    x, filters: int, *, strides: int, option: str | None, name: str, kernel_regularizer=None
):
    """The shortcut of section 3.3 for a block whose residual branch outputs ``filters``.

    Option A: identity, or a parameter-free subsample + zero-pad where dimensions change.
    Option B: identity, or a 1x1 projection (conv + BN) where dimensions change.
    Option C: a 1x1 projection on every block. None (a plain block): no shortcut, returns None.

    Example:
        >>> s = shortcut(keras.Input((8, 8, 16)), 32, strides=2, option="A", name="b")
        >>> tuple(s.shape)
        (None, 4, 4, 32)
    """
    if option is None:
        return None
    grows = strides != 1 or x.shape[-1] != filters
    if option == "C" or (option == "B" and grows):
        return conv_bn(x, filters, 1, strides=strides, relu=False, name=f"{name}_0",
                       kernel_regularizer=kernel_regularizer)  # fmt: skip
    if option == "A" and grows:
        return ZeroPadShortcut(filters, strides, name=f"{name}_0_shortcut")(x)
    return x


def _merge(x, residual, name: str):
    """Add the shortcut (None for a plain block) and apply the block's output ReLU."""
    if residual is not None:
        x = keras.layers.Add(name=f"{name}_add")([residual, x])
    return keras.layers.Activation("relu", name=f"{name}_out")(x)


def basic_block(
    x,
    filters: int,
    *,
    strides: int = 1,
    shortcut_option: str | None = "B",
    zero_init_residual: bool = False,
    kernel_regularizer=None,
    name: str,
):
    """Two 3x3 convolutions (Fig. 5 left); ``shortcut_option=None`` makes a plain block.

    Example:
        >>> y = basic_block(keras.Input((56, 56, 64)), 128, strides=2, name="conv3_block1")
        >>> tuple(y.shape)
        (None, 28, 28, 128)
    """
    conv = functools.partial(conv_bn, kernel_regularizer=kernel_regularizer)
    residual = shortcut(x, filters, strides=strides, option=shortcut_option, name=name,
                        kernel_regularizer=kernel_regularizer)  # fmt: skip
    x = conv(x, filters, 3, strides=strides, name=f"{name}_1")
    x = conv(x, filters, 3, relu=False, zero_gamma=zero_init_residual, name=f"{name}_2")
    return _merge(x, residual, name)


def bottleneck_block(
    x,
    filters: int,
    *,
    strides: int = 1,
    shortcut_option: str | None = "B",
    variant: str = "v1.5",
    zero_init_residual: bool = False,
    kernel_regularizer=None,
    name: str,
):
    """1x1 reduce, 3x3, 1x1 expand by 4 (Fig. 5 right).

    ``variant="v1"`` puts the stride on the first 1x1 (the paper's Caffe models and
    keras.applications); ``"v1.5"`` puts it on the 3x3 (torchvision, timm and every ImageNet
    checkpoint on the Hugging Face Hub).

    Example:
        >>> y = bottleneck_block(keras.Input((56, 56, 64)), 64, name="conv2_block1")
        >>> tuple(y.shape)
        (None, 56, 56, 256)
    """
    out_filters = filters * BOTTLENECK_EXPANSION
    conv = functools.partial(conv_bn, kernel_regularizer=kernel_regularizer)
    residual = shortcut(x, out_filters, strides=strides, option=shortcut_option, name=name,
                        kernel_regularizer=kernel_regularizer)  # fmt: skip
    stride_1x1, stride_3x3 = (strides, 1) if variant == "v1" else (1, strides)
    x = conv(x, filters, 1, strides=stride_1x1, name=f"{name}_1")
    x = conv(x, filters, 3, strides=stride_3x3, name=f"{name}_2")
    x = conv(x, out_filters, 1, relu=False, zero_gamma=zero_init_residual, name=f"{name}_3")
    return _merge(x, residual, name)

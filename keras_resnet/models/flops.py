"""Count multiply-adds the way the paper's Table 1 does (convolutions and fc layers)."""

from __future__ import annotations

import math

import keras


def _layers(model: keras.Model):
    """Every layer, descending into nested models."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _layers(layer)
        else:
            yield layer


def _spatial(shape) -> int:
    """Product of the dims between batch and channels, or ValueError if any is unknown."""
    dims = tuple(shape[1:-1])
    if any(d is None for d in dims):
        raise ValueError(
            "count_flops needs static spatial dimensions; build the model with a full "
            f"`input_shape`, e.g. (224, 224, 3). Received a layer output shape {tuple(shape)}"
        )
    return math.prod(dims)


def layer_flops(layer: keras.layers.Layer) -> int:
    """Multiply-adds of one call of ``layer`` on one example (0 for layers without kernels).

    Convolutions (any rank, grouped, depthwise, separable, transposed) and Dense layers are
    counted; batch norm, activations, pooling and additions are not, as in the paper.

    Example:
        >>> inputs = keras.Input((8, 8, 3))
        >>> conv = keras.layers.Conv2D(4, 3, padding="same")
        >>> _ = conv(inputs)
        >>> layer_flops(conv)  # 8*8 positions x 3*3*3 inputs x 4 filters
        6912
    """
    if isinstance(layer, (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)):
        # The depthwise step runs at output resolution, then a 1x1 pointwise conv.
        positions = _spatial(layer.output.shape)
        return positions * (
            math.prod(layer.depthwise_kernel.shape) + math.prod(layer.pointwise_kernel.shape)
        )
    if isinstance(
        layer,
        (keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose, keras.layers.Conv3DTranspose),
    ):
        return _spatial(layer.input.shape) * math.prod(layer.kernel.shape)
    conv_types = (
        keras.layers.Conv1D,
        keras.layers.Conv2D,
        keras.layers.Conv3D,
        keras.layers.DepthwiseConv1D,
        keras.layers.DepthwiseConv2D,
    )
    if isinstance(layer, conv_types):
        return _spatial(layer.output.shape) * math.prod(layer.kernel.shape)
    if isinstance(layer, keras.layers.Dense):
        positions = math.prod(d for d in layer.output.shape[1:-1] if d is not None)
        return positions * math.prod(layer.kernel.shape)
    return 0


def count_flops(model: keras.Model) -> int:
    """Multiply-adds of one forward pass of one image through ``model`` (conv + dense).

    This is the quantity the paper calls FLOPs in Table 1 (e.g. 3.8e9 for ResNet-50 v1 at
    224x224). Works for any built Keras model of standard layers whose spatial input shape is
    static.

    Example:
        >>> import keras_resnet
        >>> count_flops(keras_resnet.ResNet20())
        40551040
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"The `model` argument should be a keras.Model. Received: model={model!r}")
    return sum(layer_flops(layer) for layer in _layers(model))

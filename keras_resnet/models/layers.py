"""The one custom layer the paper needs: the option-A shortcut."""

from __future__ import annotations

import keras
from keras import ops

from keras_resnet.vocabulary import check_positive


@keras.saving.register_keras_serializable(package="keras_resnet")
class ZeroPadShortcut(keras.layers.Layer):
    """Parameter-free identity shortcut (option A of section 3.3).

    Subsamples the input spatially with ``strides`` (taking every ``strides``-th pixel, as
    a 1x1 convolution with that stride would) and pads the channel axis with zeros up to
    ``filters``. The zeros are split evenly before and after the input channels, as in the
    widely used CIFAR reproduction (akamaster/pytorch_resnet_cifar10), so its checkpoints map
    channel for channel.

    Args:
        filters: Channels of the output; at least the input's channels.
        strides: Spatial subsampling factor (1 or 2 in the paper).

    Example:
        >>> layer = ZeroPadShortcut(filters=32, strides=2)
        >>> tuple(layer(keras.ops.ones((1, 8, 8, 16))).shape)
        (1, 4, 4, 32)
    """

    def __init__(self, filters: int, strides: int = 1, **kwargs):
        super().__init__(**kwargs)
        check_positive("filters", filters, allow_none=False)
        check_positive("strides", strides, allow_none=False)
        self.filters = filters
        self.strides = strides

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels > self.filters:
            raise ValueError(
                f"ZeroPadShortcut '{self.name}' pads channels up to filters={self.filters}; "
                f"it cannot take an input with {channels} channels."
            )

    def call(self, inputs):
        x = inputs
        if self.strides > 1:
            # A max-pool over a 1x1 window with stride s is exactly x[:, ::s, ::s, :].
            x = ops.max_pool(x, pool_size=1, strides=self.strides, padding="valid")
        extra = self.filters - inputs.shape[-1]
        if extra:
            before = extra // 2
            x = ops.pad(x, [[0, 0], [0, 0], [0, 0], [before, extra - before]])
        return x

    def compute_output_shape(self, input_shape):
        def subsample(size):
            return None if size is None else (size - 1) // self.strides + 1

        return (input_shape[0], subsample(input_shape[1]), subsample(input_shape[2]), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({"filters": self.filters, "strides": self.strides})
        return config

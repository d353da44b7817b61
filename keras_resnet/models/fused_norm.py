"""BatchNormalization through the backend's fused kernel while training.

Keras 3 computes batch normalization from separate ops (moments, then the normalization), and
their gradients from many more; tf.keras called TensorFlow's fused ``FusedBatchNormV3`` kernel
(oneDNN's on the CPU), and PyTorch has ``native_batch_norm``. ResNet-20's training step on
Fashion-MNIST spent a third of its TensorFlow op time in those unfused ops (docs/benchmarks.md).
The fused kernels compute the same normalization and the same moving statistics to float
rounding: outputs, gradients and statistics agree within 1e-5 (tests/test_fused_norm.py).

The layers keep their class, names, weights and config: only how each one runs in this process
changes, so saved files are those of plain Keras.
"""

from __future__ import annotations

import types

import keras


def fuse_batch_norm(model: keras.Model) -> int:
    """Run ``model``'s 4-D, channels-last BatchNormalization layers (its nested models'
    too) through the backend's fused kernel (TensorFlow's ``FusedBatchNormV3``, PyTorch's
    ``native_batch_norm``), in training and in inference mode; returns how many layers now
    do. Nothing changes on JAX, whose XLA fuses the ops itself (returns 0), nor for a layer
    with renorm or synchronized statistics.

    Example:
        >>> model = keras_resnet.ResNet20(input_shape=(32, 32, 1), classes=10, weights=None)
        >>> fuse_batch_norm(model) == (0 if keras.backend.backend() == "jax" else 19)
        True
    """
    call = {"tensorflow": _tensorflow_call, "torch": _torch_call}.get(keras.backend.backend())
    if call is None:
        return 0
    fused = 0
    for layer in model._flatten_layers(include_self=False):
        if (isinstance(layer, keras.layers.BatchNormalization) and not layer.renorm
                and not layer.synchronized):  # fmt: skip
            layer.call = types.MethodType(call, layer)
            fused += 1
    return fused


def _fusable(layer, inputs, mask) -> bool:
    """Whether the fused kernels apply: 4-D inputs normalized over their last axis, no mask."""
    rank = len(inputs.shape)
    return mask is None and rank == 4 and layer.axis in (-1, rank - 1)


def _scale_and_offset(layer, channels: int, ones, zeros):
    """Gamma and beta in float32, ones and zeros where the layer has none."""
    gamma = keras.ops.cast(layer.gamma, "float32") if layer.scale else ones(channels)
    beta = keras.ops.cast(layer.beta, "float32") if layer.center else zeros(channels)
    return gamma, beta


def _update_moving(layer, mean, variance) -> None:
    """Keras's moving-statistics update, from the batch's mean and biased variance."""
    momentum = layer.momentum
    layer.moving_mean.assign(layer.moving_mean * momentum + mean * (1.0 - momentum))
    layer.moving_variance.assign(layer.moving_variance * momentum + variance * (1.0 - momentum))


def _tensorflow_call(self, inputs, training=None, mask=None):
    """``BatchNormalization.call`` through ``FusedBatchNormV3`` where it applies."""
    import tensorflow as tf

    if not _fusable(self, inputs, mask):
        return type(self).call(self, inputs, training=training, mask=mask)
    x = tf.cast(inputs, "float32")  # as Keras: statistics in float32 whatever the policy
    channels = x.shape[-1]
    gamma, beta = _scale_and_offset(self, channels, tf.ones, tf.zeros)
    if not (training and self.trainable):
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(
            x, gamma, beta, mean=tf.cast(self.moving_mean, "float32"),
            variance=tf.cast(self.moving_variance, "float32"), epsilon=self.epsilon,
            data_format="NHWC", is_training=False,
        )  # fmt: skip
        return tf.cast(y, self.compute_dtype)
    y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
        x, gamma, beta, epsilon=self.epsilon, data_format="NHWC", is_training=True
    )
    # The kernel returns the unbiased variance; Keras's moving variance tracks the biased one.
    count = tf.cast(tf.size(x) // channels, "float32")
    _update_moving(self, mean, variance * (count - 1.0) / count)
    return tf.cast(y, self.compute_dtype)


def _torch_call(self, inputs, training=None, mask=None):
    """``BatchNormalization.call`` through ``torch.native_batch_norm`` where it applies (on
    the channels-first view of the channels-last tensor: no copy)."""
    import torch

    if not _fusable(self, inputs, mask):
        return type(self).call(self, inputs, training=training, mask=mask)
    x = keras.ops.cast(inputs, "float32").permute(0, 3, 1, 2)
    gamma, beta = _scale_and_offset(self, x.shape[1], torch.ones, torch.zeros)
    if not (training and self.trainable):
        y = torch.nn.functional.batch_norm(
            x, keras.ops.cast(self.moving_mean, "float32"),
            keras.ops.cast(self.moving_variance, "float32"), gamma, beta, training=False,
            eps=self.epsilon,
        )  # fmt: skip
    else:
        y, mean, inverse_std = torch.native_batch_norm(x, gamma, beta, None, None, True, 0.0,
                                                       self.epsilon)  # fmt: skip
        with torch.no_grad():  # the kernel returns 1/sqrt(biased variance + epsilon)
            _update_moving(self, mean, inverse_std.pow(-2) - self.epsilon)
    return keras.ops.cast(y.permute(0, 2, 3, 1), self.compute_dtype)

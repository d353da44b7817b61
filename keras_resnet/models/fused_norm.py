"""BatchNormalization through TensorFlow's fused kernel while training on TensorFlow.

Keras 3 computes batch normalization on TensorFlow from separate ops (``tf.nn.moments``, then
``tf.nn.batch_normalization``), and their gradients from many more; tf.keras called the fused
``FusedBatchNormV3`` kernel (oneDNN's on the CPU). ResNet-20's training step on Fashion-MNIST
spent about a quarter of its op time in those unfused ops (docs/benchmarks.md). The fused kernel
computes the same normalization and the same moving statistics to float rounding: outputs,
gradients and statistics agree within 1e-5 relative (tests/test_fused_norm.py).

The layers keep their class, names, weights and config: only how each one runs in this process
changes, so saved files are those of plain Keras.
"""

from __future__ import annotations

import types

import keras


def fuse_batch_norm(model: keras.Model) -> int:
    """Run ``model``'s 4-D, channels-last BatchNormalization layers (its nested models'
    too) through TensorFlow's fused kernel, in training and in inference mode; returns how
    many layers now do. Nothing changes on JAX or PyTorch (returns 0), nor for a layer with
    renorm or synchronized statistics.

    Example:
        >>> model = keras_resnet.ResNet20(input_shape=(32, 32, 1), classes=10, weights=None)
        >>> fuse_batch_norm(model) == (19 if keras.backend.backend() == "tensorflow" else 0)
        True
    """
    if keras.backend.backend() != "tensorflow":
        return 0
    fused = 0
    for layer in model._flatten_layers(include_self=False):
        if (isinstance(layer, keras.layers.BatchNormalization) and not layer.renorm
                and not layer.synchronized):  # fmt: skip
            layer.call = types.MethodType(_fused_call, layer)
            fused += 1
    return fused


def _fused_call(self, inputs, training=None, mask=None):
    """``BatchNormalization.call`` with the fused kernel where it applies (4-D inputs
    normalized over their last axis, no mask), the layer's own call elsewhere."""
    import tensorflow as tf

    rank = len(inputs.shape)
    if mask is not None or rank != 4 or self.axis not in (-1, rank - 1):
        return type(self).call(self, inputs, training=training, mask=mask)
    x = tf.cast(inputs, "float32")  # as Keras: statistics in float32 whatever the policy
    channels = x.shape[-1]
    gamma = tf.cast(self.gamma, "float32") if self.scale else tf.ones(channels)
    beta = tf.cast(self.beta, "float32") if self.center else tf.zeros(channels)
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
    variance = variance * (count - 1.0) / count
    momentum = self.momentum
    self.moving_mean.assign(self.moving_mean * momentum + mean * (1.0 - momentum))
    self.moving_variance.assign(self.moving_variance * momentum + variance * (1.0 - momentum))
    return tf.cast(y, self.compute_dtype)

"""BatchNormalization through TensorFlow's fused kernel: the same numbers as Keras's own ops."""

import keras
import numpy as np
import pytest

from keras_resnet.models.fused_norm import fuse_batch_norm

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                reason="the fused kernel is TensorFlow's")  # fmt: skip


def _normalized(fused: bool, training: bool, policy: str = "float32"):
    """Output, input/gamma/beta gradients and moving statistics of one BatchNormalization
    applied to the same batch, Keras's ops or the fused kernel."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(2.0, 3.0, size=(16, 6, 5, 8)).astype("float32"))
    upstream = tf.constant(rng.normal(size=x.shape).astype("float32"))
    inputs = keras.Input(x.shape[1:])
    layer = keras.layers.BatchNormalization(momentum=0.9, dtype=policy)
    model = keras.Model(inputs, layer(inputs))
    layer.gamma.assign(np.linspace(0.5, 2.0, 8))
    layer.beta.assign(np.linspace(-1.0, 1.0, 8))
    layer.moving_mean.assign(np.linspace(-0.5, 0.5, 8))
    layer.moving_variance.assign(np.linspace(0.5, 4.0, 8))
    if fused:
        assert fuse_batch_norm(model) == 1
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model(x, training=training)
        loss = tf.reduce_sum(tf.cast(y, "float32") * upstream)
    gradients = tape.gradient(loss, [x, layer.gamma, layer.beta])
    values = [y, *gradients, layer.moving_mean, layer.moving_variance]
    return [np.asarray(keras.ops.convert_to_numpy(v), "float32") for v in values]


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_the_fused_kernel_gives_keras_numbers(training):
    names = ("output", "input gradient", "gamma gradient", "beta gradient", "moving mean",
             "moving variance")  # fmt: skip
    for name, keras_value, fused_value in zip(
        names, _normalized(False, training), _normalized(True, training), strict=True
    ):
        np.testing.assert_allclose(fused_value, keras_value, rtol=1e-5, atol=1e-5,
                                   err_msg=name)  # fmt: skip


def test_mixed_bfloat16_keeps_its_output_dtype_and_float32_statistics():
    keras_value = _normalized(False, True, "mixed_bfloat16")
    fused_value = _normalized(True, True, "mixed_bfloat16")
    np.testing.assert_allclose(fused_value[0], keras_value[0], rtol=2e-2, atol=2e-2)
    np.testing.assert_allclose(fused_value[4:], keras_value[4:], rtol=1e-5, atol=1e-5)


def test_a_fused_model_saves_plain_keras_layers(tmp_path):
    import keras_resnet

    model = keras_resnet.ResNet20(input_shape=(32, 32, 1), classes=10, weights=None)
    assert fuse_batch_norm(model) == 19  # the stem and two per block; option A has no others
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    assert all("call" not in vars(layer) for layer in loaded.layers)

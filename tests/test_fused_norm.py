"""BatchNormalization through the fused kernels: the same numbers as Keras's own ops, on
TensorFlow (in this process) and PyTorch (in a fresh one)."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_resnet.models.fused_norm import fuse_batch_norm

NAMES = ("output", "input gradient", "gamma gradient", "beta gradient", "moving mean",
         "moving variance")  # fmt: skip


def _output_and_gradients(model, layer, x, upstream, training):
    """The model's output on ``x`` and the gradients of sum(output * upstream) with respect
    to ``x``, gamma and beta, on this backend."""
    if keras.backend.backend() == "torch":
        import torch

        x = torch.tensor(x, requires_grad=True)
        y = model(x, training=training)
        (y.float() * torch.tensor(upstream)).sum().backward()
        return y, [x.grad, layer.gamma.value.grad, layer.beta.value.grad]
    import tensorflow as tf

    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model(x, training=training)
        loss = tf.reduce_sum(tf.cast(y, "float32") * upstream)
    return y, tape.gradient(loss, [x, layer.gamma, layer.beta])


def normalized(fused: bool, training: bool, policy: str = "float32") -> list[np.ndarray]:
    """Output, input/gamma/beta gradients and moving statistics of one BatchNormalization
    applied to the same batch, through Keras's ops or the fused kernel."""
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(16, 6, 5, 8)).astype("float32")
    upstream = rng.normal(size=x.shape).astype("float32")
    inputs = keras.Input(x.shape[1:])
    layer = keras.layers.BatchNormalization(momentum=0.9, dtype=policy)
    model = keras.Model(inputs, layer(inputs))
    layer.gamma.assign(np.linspace(0.5, 2.0, 8))
    layer.beta.assign(np.linspace(-1.0, 1.0, 8))
    layer.moving_mean.assign(np.linspace(-0.5, 0.5, 8))
    layer.moving_variance.assign(np.linspace(0.5, 4.0, 8))
    if fused:
        assert fuse_batch_norm(model) == 1
    y, gradients = _output_and_gradients(model, layer, x, upstream, training)
    values = [y, *gradients, layer.moving_mean, layer.moving_variance]
    return [np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(v, "float32"))) for v in values]


def check_same_numbers(training: bool) -> None:
    """Keras's ops and the fused kernel agree to 1e-5 (output, gradients, statistics)."""
    for name, keras_value, fused_value in zip(
        NAMES, normalized(False, training), normalized(True, training), strict=True
    ):
        np.testing.assert_allclose(fused_value, keras_value, rtol=1e-5, atol=1e-5,
                                   err_msg=name)  # fmt: skip


tensorflow_only = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                     reason="this process's backend is not TensorFlow")  # fmt: skip


@tensorflow_only
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_tensorflows_fused_kernel_gives_keras_numbers(training):
    check_same_numbers(training)


def test_pytorchs_fused_kernel_gives_keras_numbers():
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
            "import json, test_fused_norm as t; t.check_same_numbers(True); "
            "t.check_same_numbers(False); import keras; "
            "print(json.dumps(keras.backend.backend()))")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "KERAS_BACKEND": "torch"})  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.split()[-1]) == "torch"


@tensorflow_only
def test_under_mixed_bfloat16_outputs_agree_to_its_precision_and_statistics_exactly():
    keras_value = normalized(False, True, "mixed_bfloat16")
    fused_value = normalized(True, True, "mixed_bfloat16")
    np.testing.assert_allclose(fused_value[0], keras_value[0], rtol=2e-2, atol=2e-2)
    np.testing.assert_allclose(fused_value[4:], keras_value[4:], rtol=1e-5, atol=1e-5)


@tensorflow_only
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

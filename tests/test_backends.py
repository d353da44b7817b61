"""Keras 3 multi-backend: the models, the zoo and the recipes under JAX and PyTorch.

One fresh process per backend runs tests/scripts/backend_checks.py (the backend is chosen
before Keras is imported); every process saves a ``.keras`` file and loads those the others
saved, so each backend's file is loaded under each other backend.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import random_bn_statistics

import keras_resnet

SCRIPT = os.path.join(os.path.dirname(__file__), "scripts", "backend_checks.py")
BACKENDS = ("jax", "torch")
#: Fresh JAX and PyTorch processes: minutes on 2 cores, so not in `make test-fast`.
pytestmark = pytest.mark.slow


def _start(backend: str, out, data_dir) -> subprocess.Popen:
    env = {**os.environ, "KERAS_BACKEND": backend,
           "BACKEND_CHECKS_EXPECT": ",".join(("tensorflow", *BACKENDS))}  # fmt: skip
    return subprocess.Popen([sys.executable, SCRIPT, str(out), data_dir], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def _results(backend: str, process: subprocess.Popen) -> dict:
    stdout, stderr = process.communicate(timeout=900)
    assert process.returncode == 0, stderr[-3000:]
    lines = [line[7:] for line in stdout.splitlines() if line.startswith("RESULT ")]
    results = {result["check"]: result for result in map(json.loads, lines)}
    failed = {name: r["traceback"] for name, r in results.items() if not r["ok"]}
    assert not failed, f"{backend}: " + "\n".join(f"{k}: {v}" for k, v in failed.items())
    return results


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, fashion_dir):
    """Each backend's check results. TensorFlow (this process) saves its file first; JAX and
    PyTorch run at the same time, each waiting for the other's file before loading it."""
    import keras

    out = tmp_path_factory.mktemp("backends")
    model = keras_resnet.ResNet20(classifier_activation=None)
    rng = np.random.default_rng(1)
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    random_bn_statistics(model, rng)
    np.save(out / "tensorflow.npy", model.predict_on_batch(x))
    model.save(out / "tensorflow.keras")
    processes = {backend: _start(backend, out, fashion_dir) for backend in BACKENDS}
    results = {backend: _results(backend, process) for backend, process in processes.items()}
    for name in BACKENDS:  # and TensorFlow loads theirs
        loaded = keras.saving.load_model(out / f"{name}.keras")
        expected = np.load(out / f"{name}.npy")
        error = np.max(np.abs(loaded.predict_on_batch(x) - expected)) / np.max(np.abs(expected))
        results[name]["loaded_by_tensorflow"] = float(error)
    return results


@pytest.mark.parametrize("backend", BACKENDS)
def test_models_zoo_and_imagenet_utils_work_on_the_backend(matrix, backend):
    result = matrix[backend]
    assert result["constructors"]["constructors"] == 17 and result["constructors"]["counts"] == 15
    assert result["feature_extractor"]["shapes"] == {
        "conv2": [1, 16, 16, 64], "conv3": [1, 8, 8, 128],
        "conv4": [1, 4, 4, 256], "conv5": [1, 2, 2, 512],
    }  # fmt: skip
    assert result["imagenet_utils"]["preprocessed"] == 2.2489  # (1 - 0.485) / 0.229
    assert result["imagenet_utils"]["top1"] == "goldfish"
    assert all(error < 1e-4 for error in result["parity"]["relative_errors"].values())
    # Models alone need no TensorFlow (data, recipes and export import it when used).
    assert result["import"]["tensorflow_imported"] is False


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_in_memory_augmentation_is_the_same_on_the_backend(matrix, backend):
    import hashlib

    from keras_resnet.data import on_device

    bits = np.asarray(on_device.random_bits(7, np.arange(123, 379), 3))  # here, on TensorFlow
    x = np.arange(2 * 8 * 8 * 3, dtype="float32").reshape(2, 8, 8, 3)
    out = np.asarray(on_device.pad_crop_flip(x, 7, [5, 6]))
    ours = {
        name: hashlib.sha256(a.tobytes()).hexdigest() for name, a in (("bits", bits), ("out", out))
    }
    assert {k: matrix[backend]["memory"][k] for k in ours} == ours
    crops = np.asarray(on_device.random_resized_crop_flip(x, 7, [5, 6])).ravel()
    np.testing.assert_allclose(matrix[backend]["memory"]["crops"], crops, rtol=1e-5, atol=1e-3)


def test_a_keras_file_saved_on_each_backend_loads_on_every_other(matrix):
    every = {"tensorflow.keras", "jax.keras", "torch.keras"}
    for backend in BACKENDS:
        loaded = matrix[backend]["save_load"]["loaded"]
        assert set(loaded) == every and all(error <= 1e-5 for error in loaded.values()), loaded
        assert matrix[backend]["loaded_by_tensorflow"] <= 1e-5


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_resume_and_fine_tuning_on_the_backend(matrix, backend):
    result = matrix[backend]
    # recipes.train on the keras_resnet.data pipeline, stopped after its first epoch: the
    # same call again restores that epoch from the backup and trains only the second.
    assert result["train_resume"]["epochs_after_resume"] == 1
    assert 0 <= result["train_resume"]["test_accuracy"] <= 1
    assert result["frozen_bn"]["moving_statistics_changed"] == 0
    assert result["frozen_bn"]["kernels_trained"]
    mirrored = result["train_resume"]["mirrored"]
    if backend == "jax":  # Keras' DataParallel over the local devices (one CPU here)
        assert mirrored["strategy"] == "DataParallelStrategy" and mirrored["replicas"] >= 1
    else:
        assert "not available on the torch backend" in mirrored["refused"]


@pytest.mark.parametrize(
    "backend, written",
    [("jax", ["tf_saved_model"]), ("torch", ["onnx", "openvino"])],
)
def test_export_writes_what_keras_supports_on_the_backend_and_refuses_the_rest(
    matrix, backend, written
):
    result = matrix[backend]["export"]
    assert sorted(result["written"]) == written  # each checked in its runtime within 1e-4
    assert all(error <= 1e-4 for error in result["written"].values())
    assert sorted(result["refused"] + written) == ["litert", "onnx", "openvino", "tf_saved_model"]

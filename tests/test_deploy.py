"""Deployment: BatchNormalization folded into the convolutions, same logits."""

import json
import os
import pathlib
import sys

import keras
import numpy as np
import pytest
from helpers import python_output, random_bn_statistics, relative_error

import keras_resnet
from keras_resnet.deploy import fold_batchnorm, formats
from keras_resnet.io import sha256_file

CASES = {
    "resnet20 (option A)": ("resnet20", {}),
    "plain20, one channel": ("plain20", {"input_shape": (32, 32, 1)}),
    "resnet18, option C": ("resnet18", {"shortcut": "C", "input_shape": (64, 64, 3)}),
    "resnet34, option A, one channel": ("resnet34", {"shortcut": "A", "input_shape": (64, 64, 1)}),
    "resnet50 v1, no top, avg pool": (
        "resnet50",
        {"variant": "v1", "include_top": False, "pooling": "avg", "input_shape": (64, 64, 3)},
    ),
    "resnet50 v1.5": ("resnet50", {"input_shape": (64, 64, 3)}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_folded_batchnorm_gives_the_same_logits(case):
    name, options = CASES[case]
    if options.get("include_top", True):
        options = {**options, "classifier_activation": None}  # compare logits
    model = keras_resnet.get_model(name, weights=None, **options)
    rng = np.random.default_rng(0)
    random_bn_statistics(model, rng)
    folded = fold_batchnorm(model)
    assert not any(isinstance(x, keras.layers.BatchNormalization) for x in folded.layers)
    assert folded.output_shape == model.output_shape
    x = rng.normal(size=(4, *model.input_shape[1:])).astype("float32")
    expected = model.predict_on_batch(x)
    assert relative_error(folded.predict_on_batch(x), expected) <= 1e-4
    assert np.mean(np.abs(expected)) > 1e-3  # not a degenerate comparison


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def test_a_fine_tuned_classifier_with_a_nested_backbone_is_folded_throughout():
    backbone = keras_resnet.ResNet20(include_top=False, pooling="avg", input_shape=(32, 32, 1))
    rng = np.random.default_rng(2)
    random_bn_statistics(backbone, rng)
    inputs = keras.Input((32, 32, 1))
    outputs = keras.layers.Dense(3)(backbone(inputs, training=False))  # as fine_tune.py
    model = keras.Model(inputs, outputs)
    folded = fold_batchnorm(model)
    assert not any(isinstance(x, keras.layers.BatchNormalization) for x in _all_layers(folded))
    x = rng.normal(size=(4, 32, 32, 1)).astype("float32")
    assert relative_error(folded.predict_on_batch(x), model.predict_on_batch(x)) <= 1e-4


def test_folding_keeps_the_checkpoint_and_leaves_the_model_alone():
    from keras_resnet.zoo import Checkpoint

    model = keras_resnet.ResNet20()
    model.checkpoint = Checkpoint("run", "resnet20", shortcut="A", num_classes=10)
    before = [w.copy() for w in model.get_weights()]
    folded = fold_batchnorm(model)
    assert folded.checkpoint == model.checkpoint and folded.name == model.name
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    with pytest.raises(ValueError, match="`model` argument should be a Functional"):
        fold_batchnorm("resnet20")


FORMATS = {"tf_saved_model": "saved", "litert": "m.tflite", "onnx": "m.onnx", "openvino": "m.xml"}


@pytest.mark.slow
@pytest.mark.parametrize("name, shape", [("resnet20", (32, 32, 3)), ("resnet18", (224, 224, 3))])
def test_every_format_in_float32_loads_in_its_runtime_and_matches_keras(name, shape, tmp_path):
    import tensorflow as tf

    model = keras_resnet.get_model(name, weights=None, input_shape=shape,
                                   classifier_activation=None)  # fmt: skip
    random_bn_statistics(model, np.random.default_rng(1))
    images = np.random.default_rng(0).normal(size=(4, *shape)).astype("float32")
    calibration = tf.data.Dataset.from_tensor_slices(images).batch(2)
    for format, file in FORMATS.items():
        result = keras_resnet.export(model, tmp_path / file, format=format,
                                     calibration=calibration)  # fmt: skip
        assert result.samples_checked == 4 and result.relative_error <= 1e-4, result
        assert result.top1_agreement == 1.0 and set(result.weight_dtypes) == {"float32"}
        record = json.loads(pathlib.Path(result.record).read_text())
        assert record["relative_error"] == result.relative_error and record["quantize"] is None
        base = tmp_path / file if format == "tf_saved_model" else tmp_path
        assert all(sha256_file(base / f) == digest for f, digest in record["sha256"].items())
    assert record["runtime_options"] == {"INFERENCE_PRECISION_HINT": "f32"}  # openvino
    assert sorted(os.listdir(tmp_path)) == sorted(
        [*FORMATS.values(), "m.bin", *(f"{f}.export.json" for f in FORMATS.values())]
    )  # nothing else: no temporary file left
    if name == "resnet20":  # The SavedModel serves in a process that never imports keras_resnet.
        served = python_output(
            "import sys, numpy as np, tensorflow as tf\n"
            f"loaded = tf.saved_model.load({str(tmp_path / 'saved')!r})\n"
            "print(loaded.serve(np.zeros((2, 32, 32, 3), 'float32')).shape[1])\n"
            "print('keras_resnet' in sys.modules)"
        )
        assert served == ["10", "False"]


FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "fashion_mnist_resnet20.keras")


@pytest.fixture(scope="module")
def trained20(fashion_dir):
    """The committed ResNet-20 trained on Fashion-MNIST (tests/scripts/make_trained_resnet20.py)
    and 1,000 Fashion-MNIST test images and labels prepared as it expects."""
    from keras_resnet import data
    from keras_resnet.recipes.evaluation import load_model

    model = load_model(FIXTURE)
    test = data.load("fashion_mnist", "test", batch_size=1000, training=False,
                     data_dir=fashion_dir, preprocessing=model)  # fmt: skip
    images, labels = next(iter(test))
    return model, np.asarray(images), np.asarray(labels).reshape(-1)


def _against_keras_on_test_images(trained20, format, path, quantize) -> tuple[float, float]:
    """Top-1 agreement with the float32 Keras model on 1,000 test images, and the accuracy
    points lost."""
    model, images, labels = trained20
    expected = model.predict(images, batch_size=250, verbose=0).argmax(-1)
    actual = formats.get(format).run(path, images, quantize).argmax(-1)
    return np.mean(actual == expected), np.mean(expected == labels) - np.mean(actual == labels)


REDUCED = [("onnx", "int8", "q.onnx"), ("openvino", "int8", "q.xml"),
           ("litert", "float16", "h.tflite"), ("openvino", "bfloat16", "b.xml")]  # fmt: skip


@pytest.mark.slow
def test_reduced_precision_on_a_trained_resnet20_keeps_its_predictions(
    trained20, fashion_dir, tmp_path
):
    model, _, _ = trained20
    assert model.checkpoint.preprocessing.dataset == "fashion_mnist"
    for format, quantize, file in REDUCED:
        result = keras_resnet.export(model, tmp_path / file, format=format, quantize=quantize,
                                     calibration="fashion_mnist", samples=256,
                                     data_dir=fashion_dir)  # fmt: skip
        assert result.samples_checked == 256 and result.accuracy is not None, result
        agreement, lost = _against_keras_on_test_images(trained20, format, result.path, quantize)
        assert agreement >= (0.98 if quantize == "int8" else 0.99), (file, agreement)
        assert lost <= 0.01, (file, lost)
        stored = {"int8": "int8", "float16": "float16", "bfloat16": "float32"}[quantize]
        assert set(result.weight_dtypes) == {stored}, result  # really quantized
    record = json.loads((tmp_path / "b.xml.export.json").read_text())
    assert record["runtime_options"] == {"INFERENCE_PRECISION_HINT": "bf16"}
    assert record["inference_precision"] in ("bf16", "f32")  # f32 on a CPU without bf16
    assert {"openvino", "tensorflow", "keras"} <= set(record["versions"])


def test_cli_exports_int8_litert_calibrated_on_fashion_mnist(
    trained20, fashion_dir, tmp_path, capsys
):
    from keras_resnet import cli

    target = tmp_path / "fm20.tflite"
    assert cli.main(["export", FIXTURE, str(target), "--format", "litert", "--quantize", "int8",
                     "--calibration", "fashion_mnist", "--samples", "256",
                     "--data-dir", fashion_dir, "--json"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert result["weight_dtypes"] == {"int8": 20} and result["samples_checked"] == 256
    agreement, lost = _against_keras_on_test_images(trained20, "litert", str(target), "int8")
    assert agreement >= 0.98 and lost <= 0.01, (agreement, lost)
    record = json.loads((tmp_path / "fm20.tflite.export.json").read_text())
    assert record["sha256"] == {"fm20.tflite": sha256_file(target)}
    assert record["top1_agreement"] == result["top1_agreement"] >= 0.98
    with pytest.raises(SystemExit):  # exists: refused, one line
        cli.main(["export", FIXTURE, str(target), "--format", "litert"])
    assert "pass --overwrite to replace it" in capsys.readouterr().err  # the CLI's words


def test_an_export_beyond_tolerance_raises_and_leaves_nothing(monkeypatch, tmp_path):
    from keras_resnet.deploy import ExportToleranceError

    model = keras_resnet.ResNet20()
    run = formats.ExportFormat.run
    monkeypatch.setattr(formats.ExportFormat, "run", lambda *args: run(*args) * 1.01)  # a 1% drift
    for format, file in [("onnx", "m.onnx"), ("openvino", "m.xml")]:
        with pytest.raises(ExportToleranceError, match=r"relative error .* > 1e-04"):
            keras_resnet.export(model, tmp_path / file, format=format)
    assert os.listdir(tmp_path) == []


def _wrong_shape():
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(np.zeros((4, 28, 28, 1), "float32")).batch(2)


def test_export_refuses_bad_requests_before_writing(monkeypatch, tmp_path):
    model = keras_resnet.ResNet20()
    for options, message in [
        ({"format": "tf_saved_model", "quantize": "int8"}, r"quantize.*\(None,\). Received"),
        ({"format": "litert", "quantize": "bfloat16"}, r"one of \(None, 'float16', 'int8'\)"),
        ({"format": "onnx", "quantize": "float16"}, r"one of \(None, 'int8'\)"),
        ({"format": "coreml"}, r"`format` argument should be one of"),
        ({"format": "onnx"}, r"`path` argument should end in '.onnx'"),
        ({"format": "litert", "quantize": "int8"}, r"int8' needs calibration images"),
        ({"format": "litert", "samples": 0}, r"`samples`.*Received: samples=0"),
        (
            {"format": "litert", "calibration": np.zeros((4, 28, 28, 1), "float32")},
            r"`calibration`.*shape",
        ),  # a numpy array of the wrong shape
        ({"format": "litert", "calibration": _wrong_shape()}, r"input shape \(32, 32, 3\)"),
    ]:
        with pytest.raises(ValueError, match=message):
            keras_resnet.export(model, str(tmp_path / "m.tflite"), **options)
    (tmp_path / "taken.tflite").write_bytes(b"")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        keras_resnet.export(model, str(tmp_path / "taken.tflite"), format="litert")
    with pytest.raises(ValueError, match=r"`path` argument should be in a folder that exists"):
        keras_resnet.export(model, str(tmp_path / "taken.tflite" / "m.tflite"), format="litert")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        keras_resnet.export(model, str(tmp_path / "full"))
    with monkeypatch.context() as patch:
        patch.setattr(keras.backend, "backend", lambda: "jax")
        with pytest.raises(ValueError, match=r"on the jax backend.*one of \('tf_saved_model',\)"):
            keras_resnet.export(model, str(tmp_path / "m.onnx"), format="onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if not installed
    with pytest.raises(
        ImportError, match=r"'onnxruntime'.*pip install 'keras-resnet-zoo\[export\]'"
    ):
        keras_resnet.export(model, str(tmp_path / "m.onnx"), format="onnx")
    assert sorted(os.listdir(tmp_path)) == ["full", "taken.tflite"]


def test_int8_is_checked_on_images_it_was_not_calibrated_on(trained20, fashion_dir, tmp_path):
    import tensorflow as tf

    from keras_resnet.deploy import ExportToleranceError

    model, images, _ = trained20
    broken = images[:8].copy()
    broken[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"`calibration` images hold 1 values that are Inf"):
        keras_resnet.export(model, tmp_path / "inf.tflite", format="litert", quantize="int8",
                            calibration=tf.data.Dataset.from_tensor_slices(broken))  # fmt: skip
    # All-zero calibration images: checked on the model's own test images, not on themselves.
    zeros = tf.data.Dataset.from_tensor_slices(np.zeros_like(images[:64])).batch(32)
    with pytest.raises(ExportToleranceError, match=r"top-1 agreement"):
        keras_resnet.export(model, tmp_path / "zero.tflite", format="litert", quantize="int8",
                            calibration=zeros, samples=64, data_dir=fashion_dir)  # fmt: skip
    assert not (tmp_path / "zero.tflite").exists()
    result = keras_resnet.export(model, tmp_path / "q.tflite", format="litert", quantize="int8",
                                 calibration="fashion_mnist", samples=64,
                                 data_dir=fashion_dir)  # fmt: skip
    assert result.checked_on == "fashion_mnist:test (not used for calibration)"
    assert json.loads(pathlib.Path(result.record).read_text())["checked_on"] == result.checked_on

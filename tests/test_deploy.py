"""Deployment: BatchNormalization folded into the convolutions, same logits."""

import os

import keras
import numpy as np
import pytest
from helpers import python_output, relative_error

import keras_resnet
from keras_resnet.deploy import fold_batchnorm


def _random_statistics(model: keras.Model, rng) -> None:
    """Every BN layer gets random gamma, beta and moving statistics (not the identity)."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            channels = layer.gamma.shape[0]
            layer.set_weights([
                rng.uniform(0.5, 1.5, channels), rng.normal(0, 0.2, channels),
                rng.normal(0, 0.5, channels), rng.uniform(0.5, 2.0, channels),
            ])  # fmt: skip


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
    _random_statistics(model, rng)
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
    _random_statistics(backbone, rng)
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


def test_export_saved_model_and_litert_with_quantization_keep_the_outputs(tmp_path):
    import tensorflow as tf

    model = keras_resnet.ResNet20(classifier_activation=None)
    _random_statistics(model, np.random.default_rng(1))
    images = np.random.default_rng(0).normal(size=(64, 32, 32, 3)).astype("float32")
    calibration = tf.data.Dataset.from_tensor_slices((images, np.zeros(64))).batch(16)
    limits = {None: 1e-5, "float16": 1e-2, "int8": 0.1}  # relative to the largest logit
    exports = [("tf_saved_model", None, "saved"), ("litert", None, "a.tflite"),
               ("litert", "float16", "b.tflite"), ("litert", "int8", "c.tflite")]  # fmt: skip
    for format, quantize, name in exports:
        result = keras_resnet.export(model, tmp_path / name, format=format, quantize=quantize,
                                     calibration=calibration, samples=64)  # fmt: skip
        assert result.samples_checked == 32 and result.relative_error <= limits[quantize], result
        assert result.top1_agreement >= (0.9 if quantize == "int8" else 1.0), result
    # The SavedModel serves in a process that never imports keras_resnet.
    served = python_output(
        "import sys, numpy as np, tensorflow as tf\n"
        f"loaded = tf.saved_model.load({str(tmp_path / 'saved')!r})\n"
        "print(loaded.serve(np.zeros((2, 32, 32, 3), 'float32')).shape[1])\n"
        "print('keras_resnet' in sys.modules)"
    )
    assert served == ["10", "False"]
    sizes = {
        name: os.path.getsize(tmp_path / name) for name in ("a.tflite", "b.tflite", "c.tflite")
    }
    assert sizes["c.tflite"] < sizes["b.tflite"] < sizes["a.tflite"]  # int8 < float16 < float32
    assert sorted(os.listdir(tmp_path)) == ["a.tflite", "b.tflite", "c.tflite", "saved"]


def _wrong_shape():
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(np.zeros((4, 28, 28, 1), "float32")).batch(2)


def test_export_refuses_bad_requests_before_writing(tmp_path):
    model = keras_resnet.ResNet20()
    for options, message in [
        ({"format": "tf_saved_model", "quantize": "int8"}, r"quantize.*\(None,\). Received"),
        ({"format": "litert", "quantize": "bfloat16"}, r"one of \(None, 'float16', 'int8'\)"),
        ({"format": "onnx"}, r"not available in this version"),
        ({"format": "coreml"}, r"`format` argument should be one of"),
        ({"format": "litert", "quantize": "int8"}, r"int8' needs calibration images"),
        ({"format": "litert", "samples": 0}, r"`samples`.*Received: 0"),
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
    assert sorted(os.listdir(tmp_path)) == ["taken.tflite"]

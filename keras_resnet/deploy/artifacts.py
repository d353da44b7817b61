"""``export``: a trained network as a deployable file, its outputs checked against Keras.

Built on Keras' own ``model.export(format=...)``: ``"tf_saved_model"`` (TF Serving) and
``"litert"`` (a ``.tflite`` file; quantization through the TFLite converter's own options:
float16 weights, or full int8 with a representative dataset). ONNX and OpenVINO are named
by the API (``QUANTIZATIONS``) and refused in this version: their runtimes are not
dependencies of the package yet.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import warnings

import keras
import numpy as np

from keras_resnet.deploy.fold import fold_batchnorm
from keras_resnet.vocabulary import check_choice, check_positive

#: What ``quantize`` each format takes (None: the float32 network as trained).
QUANTIZATIONS = {
    "tf_saved_model": (None,),
    "litert": (None, "float16", "int8"),
    "onnx": (None, "int8"),
    "openvino": (None, "int8", "bfloat16"),
}
_BUILT = ("tf_saved_model", "litert")
_CHECKED_SAMPLES = 32


@dataclasses.dataclass
class ExportResult:
    """What ``export`` wrote and how closely the file reproduces the Keras model on
    ``samples_checked`` inputs (calibration images, else random ones): the largest absolute
    difference of the outputs relative to the largest output, and the share of inputs whose
    top-1 class agrees.

    Example:
        >>> ExportResult("m.tflite", "litert", "int8", 32, 0.02, 0.97).top1_agreement
        0.97
    """

    path: str
    format: str
    quantize: str | None
    samples_checked: int
    relative_error: float
    top1_agreement: float


def _calibration_images(
    model: keras.Model, calibration, samples: int, data_dir: str | None
) -> np.ndarray | None:
    """Up to ``samples`` float32 model inputs: from a ``tf.data.Dataset`` (of images or
    (image, label) pairs, batched or not), a ``keras_resnet.data`` dataset name with an
    optional ``:split`` (default "train"), or, with None, the dataset the model was trained
    on (a recipe-trained model's ``checkpoint.preprocessing.dataset``), prepared as the
    model's evaluation pipeline prepares them."""
    if calibration is None:
        checkpoint = getattr(model, "checkpoint", None)
        calibration = checkpoint.preprocessing.dataset if checkpoint else None
        if calibration is None:
            return None
    if isinstance(calibration, str):
        from keras_resnet import data

        name, _, split = calibration.partition(":")
        calibration = data.load(name, split or "train", batch_size=64, training=False,
                                data_dir=data_dir, preprocessing=model)  # fmt: skip
    if not hasattr(calibration, "take"):
        raise ValueError(
            "The `calibration` argument should be a tf.data.Dataset, a keras_resnet.data "
            f"dataset name ('fashion_mnist', 'cifar10:test') or None. Received: {calibration!r}"
        )
    shape = tuple(model.input_shape[1:])
    images, count = [], 0
    for element in calibration:
        x = np.asarray(element[0] if isinstance(element, tuple | list) else element, "float32")
        if x.shape[-len(shape) :] != shape:
            raise ValueError(
                f"The `calibration` images should have the model's input shape {shape}. "
                f"Received images of shape {x.shape}"
            )
        x = x.reshape((-1, *shape))
        images.append(x)
        count += len(x)
        if count >= samples:
            break
    return np.concatenate(images)[:samples] if images else None


def _converter_options(quantize: str | None, images: np.ndarray | None) -> dict:
    """The TFLite converter's settings for ``quantize`` (Keras passes them through)."""
    import tensorflow as tf

    if quantize is None:
        return {}
    if quantize == "float16":
        return {"optimizations": [tf.lite.Optimize.DEFAULT],
                "target_spec": {"supported_types": [tf.float16]}}  # fmt: skip

    def representative_dataset():
        for image in images:
            yield [image[None]]

    return {
        "optimizations": [tf.lite.Optimize.DEFAULT],
        "representative_dataset": representative_dataset,
        # Every op in int8 (float32 input and output, quantized at the edges).
        "target_spec": {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]},
    }


def _run(format: str, path: str, x: np.ndarray) -> np.ndarray:
    """The exported file's outputs for ``x``, through its own runtime."""
    import tensorflow as tf

    if format == "tf_saved_model":
        loaded = tf.saved_model.load(path)  # kept: its variables must outlive the call
        return np.asarray(loaded.serve(tf.constant(x)))
    with warnings.catch_warnings():  # its successor, ai_edge_litert, is not a dependency
        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
        interpreter = tf.lite.Interpreter(model_path=path)
    [source] = interpreter.get_input_details()
    interpreter.resize_tensor_input(source["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(source["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def export(
    model,
    path: str,
    *,
    format: str = "tf_saved_model",
    quantize: str | None = None,
    calibration=None,
    samples: int = 512,
    fold_bn: bool = True,
    overwrite: bool = False,
    data_dir: str | None = None,
) -> ExportResult:
    """Write ``model`` (a keras.Model or a ``.keras`` path) as ``format`` to ``path`` and
    check the file's outputs against the model's.

    Args:
        model: The network; BatchNormalization is folded into the convolutions first
            (``fold_bn``, see ``fold_batchnorm``).
        path: A folder for ``"tf_saved_model"``, a ``.tflite`` file for ``"litert"``; written
            through a temporary name and renamed, so a stopped export leaves nothing half
            written. An existing path is refused unless ``overwrite``.
        format: ``"tf_saved_model"`` or ``"litert"`` (Keras' format names). ``"onnx"`` and
            ``"openvino"`` are refused in this version.
        quantize: None, or for ``"litert"`` ``"float16"`` (half-size weights) or ``"int8"``
            (full integer, calibrated on ``samples`` images). Pairs outside
            ``QUANTIZATIONS`` are refused by name.
        calibration: Images for int8 calibration and for the parity check: a
            ``tf.data.Dataset``, a dataset name (``"fashion_mnist"``, ``"cifar10:test"``)
            prepared as the model's evaluation pipeline prepares it, or None (the dataset a
            recipe-trained model carries in ``model.checkpoint``; else random inputs are
            checked and int8 is refused).
        samples: Calibration images for int8.
        data_dir: TFDS data directory for a ``calibration`` dataset name.

    Example:
        >>> result = export(keras_resnet.ResNet20(), "r20.tflite", format="litert",
        ...                 quantize="int8", calibration="cifar10")  # doctest: +SKIP
        >>> result.top1_agreement  # doctest: +SKIP
        0.97
    """
    check_choice("format", format, tuple(QUANTIZATIONS))
    if quantize not in QUANTIZATIONS[format]:
        raise ValueError(
            f"With format={format!r}, the `quantize` argument should be one of "
            f"{QUANTIZATIONS[format]}. Received: quantize={quantize!r}"
        )
    if format not in _BUILT:
        raise ValueError(
            f"format={format!r} is not available in this version of keras_resnet (its runtime "
            f"is not a dependency yet); the formats built are {_BUILT}."
        )
    check_positive("samples", samples, allow_none=False)
    if format == "litert" and not str(path).endswith(".tflite"):
        raise ValueError(f"A LiteRT file should end in '.tflite'. Received: path={path!r}")
    path = os.fspath(path)
    if os.path.lexists(path) and not overwrite:
        raise FileExistsError(f"{path!r} exists; pass overwrite=True to replace it.")
    from keras_resnet.recipes.evaluate import load_model

    model = load_model(model)
    images = _calibration_images(model, calibration, samples, data_dir)
    if quantize == "int8" and images is None:
        raise ValueError(
            "quantize='int8' needs calibration images: pass `calibration` (a tf.data.Dataset "
            "or a dataset name such as 'cifar10'); this model carries no training dataset."
        )
    network = fold_batchnorm(model) if fold_bn else model
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".tmp.{os.getpid()}.{name}")
    try:
        network.export(temporary, format=format, verbose=False,
                       **_converter_options(quantize, images))  # fmt: skip
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.replace(temporary, path)
    finally:
        if os.path.isdir(temporary):
            shutil.rmtree(temporary)
        elif os.path.exists(temporary):
            os.remove(temporary)
    check = images[:_CHECKED_SAMPLES] if images is not None else None
    if check is None:
        rng = np.random.default_rng(0)
        check = rng.normal(size=(8, *model.input_shape[1:])).astype("float32")
    expected = np.asarray(model.predict_on_batch(check))
    actual = _run(format, path, check)
    return ExportResult(
        path=path,
        format=format,
        quantize=quantize,
        samples_checked=len(check),
        relative_error=float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected))),
        top1_agreement=float(np.mean(actual.argmax(-1) == expected.argmax(-1))),
    )

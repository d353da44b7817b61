"""``export``: a trained network as a deployable file, checked against Keras before it lands.

The file is written under a temporary name by Keras' own ``model.export(format=...)`` and the
format's own quantizer (its adapter in ``formats``), loaded in its own runtime and compared
with the Keras model on the calibration images; only an artifact within tolerance is renamed
into place, with ``<path>.export.json`` beside it (sha256 of every file, versions, the
measured figures).
"""

from __future__ import annotations

import dataclasses
import datetime
import os

import keras
import numpy as np

from keras_resnet.deploy import formats
from keras_resnet.deploy.calibration import export_images, no_calibration
from keras_resnet.deploy.fold import fold_batchnorm
from keras_resnet.deploy.formats import BACKEND_FORMATS, QUANTIZATIONS, ExportFormat
from keras_resnet.io import check_writable, sha256_file, write_json_atomic
from keras_resnet.vocabulary import check_positive

#: How close an artifact must come to the Keras model: float32 by the largest output
#: difference relative to the largest output; reduced precisions by top-1 agreement and,
#: where the calibration data has labels, by accuracy (at most 1 point lower).
TOLERANCES = {None: {"relative_error": 1e-4}, "float16": {"top1_agreement": 0.99},
              "bfloat16": {"top1_agreement": 0.99},
              "int8": {"top1_agreement": 0.98, "accuracy_drop": 0.01}}  # fmt: skip


class ExportToleranceError(ValueError):
    """An exported artifact disagreed with its Keras model beyond ``TOLERANCES`` (the file
    was removed; the message says what was measured)."""


@dataclasses.dataclass
class ExportResult:
    """What ``export`` wrote and how closely the file reproduces the Keras model on
    ``samples_checked`` inputs (``checked_on`` says which: never the images an int8 file was
    calibrated on; random ones where there are no images): the largest absolute
    difference of the outputs relative to the largest output, the share of inputs whose
    top-1 class agrees, and with labels both accuracies.

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
    accuracy: float | None = None
    keras_accuracy: float | None = None
    checked_on: str = "random inputs"
    weight_dtypes: dict = dataclasses.field(default_factory=dict)
    runtime_options: dict = dataclasses.field(default_factory=dict)
    record: str | None = None


def _check_path(adapter: ExportFormat, path: str, overwrite: bool) -> str:
    suffix = adapter.suffix
    if suffix and not path.endswith(suffix):
        raise ValueError(
            f"With format={adapter.name!r}, the `path` argument should end in {suffix!r}. "
            f"Received: path={path!r}"
        )
    taken = os.path.isfile(path) or (os.path.isdir(path) and os.listdir(path))
    if taken and not overwrite:
        raise FileExistsError(f"{path!r} exists; pass overwrite=True to replace it.")
    check_writable(path, folder_ok=True)  # a SavedModel is a folder
    return path


def _measure(model, adapter: ExportFormat, path, quantize, images, labels) -> dict:
    """The artifact's outputs against the model's on ``images`` (random inputs if None)."""
    if images is None:
        rng = np.random.default_rng(0)
        images = rng.normal(size=(8, *model.input_shape[1:])).astype("float32")
    expected = np.asarray(model.predict(images, batch_size=64, verbose=0), np.float64)
    actual = np.asarray(adapter.run(path, images, quantize), np.float64)
    figures = {
        "samples_checked": len(images),
        "relative_error": float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected))),
        "top1_agreement": float(np.mean(actual.argmax(-1) == expected.argmax(-1))),
    }
    if labels is not None:
        figures["accuracy"] = float(np.mean(actual.argmax(-1) == labels))
        figures["keras_accuracy"] = float(np.mean(expected.argmax(-1) == labels))
    return figures


def _beyond_tolerance(quantize: str | None, figures: dict) -> list[str]:
    """What in ``figures`` breaks ``TOLERANCES[quantize]``, in words (empty: within it)."""
    limits, broken = TOLERANCES[quantize], []
    if figures["relative_error"] > limits.get("relative_error", np.inf):
        broken.append(
            f"relative error {figures['relative_error']:.2e} > {limits['relative_error']:.0e}"
        )
    if figures["top1_agreement"] < limits.get("top1_agreement", 0):
        broken.append(
            f"top-1 agreement {figures['top1_agreement']:.2%} < {limits['top1_agreement']:.0%}"
        )
    drop = figures.get("keras_accuracy", 0) - figures.get("accuracy", 0)
    if drop > limits.get("accuracy_drop", np.inf):
        broken.append(
            f"accuracy {figures['accuracy']:.2%} is {100 * drop:.1f} points below the Keras "
            f"model's {figures['keras_accuracy']:.2%} (at most {100 * limits['accuracy_drop']:.0f})"
        )
    return broken


def _record(adapter: ExportFormat, path, quantize, fold_bn, figures, dtypes, options) -> dict:
    """``export.json``: what was written, by what, and how closely it matched."""
    base = path if os.path.isdir(path) else os.path.dirname(path)
    return {
        "format": adapter.name,
        "quantize": quantize,
        "fold_bn": fold_bn,
        "sha256": {os.path.relpath(file, base): sha256_file(file) for file in adapter.files(path)},
        **figures,
        "tolerance": TOLERANCES[quantize],
        "weight_dtypes": dtypes,
        "runtime_options": options,
        "inference_precision": adapter.inference_precision(path, quantize),
        "versions": adapter.versions(quantize),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


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
    """Write ``model`` (a keras.Model or a ``.keras`` path) as ``format`` to ``path``, checked.

    The artifact is written under a temporary name, run in its own runtime on the
    calibration images (or 8 random inputs) and compared with the Keras model: beyond
    ``TOLERANCES`` it is removed and ``ExportToleranceError`` says what was measured;
    within, it is renamed to ``path`` and ``<path>.export.json`` records the sha256 of its
    files, the versions, the figures and the weights' dtypes. Every format on the TensorFlow
    backend; on JAX and PyTorch those ``BACKEND_FORMATS`` names (the others are refused:
    export the ``.keras`` file from TensorFlow).

    Args:
        model: The network; BatchNormalization is folded into the convolutions first
            (``fold_bn``, see ``fold_batchnorm``).
        path: A folder for ``"tf_saved_model"``; a ``.tflite``, ``.onnx`` or ``.xml`` file
            for ``"litert"``, ``"onnx"``, ``"openvino"`` (whose weights go to the ``.bin``
            beside it). An existing file or non-empty folder is refused unless ``overwrite``.
        format: ``"tf_saved_model"``, ``"litert"``, ``"onnx"`` or ``"openvino"`` (Keras'
            format names). ONNX and OpenVINO need ``pip install 'keras-resnet-zoo[export]'``.
        quantize: None, or per format (``QUANTIZATIONS``): litert ``"float16"`` or
            ``"int8"``; onnx ``"int8"``; openvino ``"int8"`` or ``"bfloat16"`` (the
            runtime's precision hint, recorded in ``export.json``). int8 is calibrated on
            ``samples`` images. Pairs outside ``QUANTIZATIONS`` are refused by name.
        calibration: Images for int8 calibration and for the check: a ``tf.data.Dataset``
            (images, or (image, label) pairs: then accuracy is compared too), a dataset
            name (``"fashion_mnist"``, ``"cifar10:test"``) prepared as the model's
            evaluation pipeline prepares it, or None (the dataset a recipe-trained model
            carries in ``model.checkpoint``; else random inputs are checked and int8 is
            refused).
        samples: Calibration (and check) images.
        fold_bn: Fold BatchNormalization into the convolutions before export.
        overwrite: Replace an existing artifact.
        data_dir: TFDS data directory for a ``calibration`` dataset name.

    Example:
        >>> result = export(keras_resnet.ResNet20(), "r20.tflite", format="litert",
        ...                 quantize="int8", calibration="cifar10")  # doctest: +SKIP
        >>> result.top1_agreement, result.weight_dtypes  # doctest: +SKIP
        (0.994, {'int8': 22})
    """
    adapter = formats.get(format)
    backend = keras.backend.backend()
    if format not in BACKEND_FORMATS.get(backend, ()):
        raise ValueError(
            f"format={format!r} cannot be written on the {backend} backend of Keras (Keras' "
            f"model.export), where the `format` argument should be one of "
            f"{BACKEND_FORMATS.get(backend, ())}. Save the model (model.save('m.keras'): the "
            "file loads on every backend) and export it from a TensorFlow-backend process."
        )
    if quantize not in QUANTIZATIONS[format]:
        raise ValueError(
            f"With format={format!r}, the `quantize` argument should be one of "
            f"{QUANTIZATIONS[format]}. Received: quantize={quantize!r}"
        )
    check_positive("samples", samples, allow_none=False)
    path = _check_path(adapter, os.fspath(path), overwrite)
    adapter.require(quantize)
    from keras_resnet.models.saved import load_model

    model = load_model(model)
    images = export_images(model, calibration, samples, data_dir, quantize)
    if quantize == "int8" and images.calibration is None:
        raise ValueError(
            "quantize='int8' needs calibration images: pass `calibration` (a tf.data.Dataset "
            f"or a dataset name such as 'cifar10'); {no_calibration(model, calibration)}."
        )
    network = fold_batchnorm(model) if fold_bn else model
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".tmp.{os.getpid()}.{name}")
    try:
        options = adapter.write(network, temporary, quantize, images.calibration)
        figures = _measure(model, adapter, temporary, quantize, images.checks, images.labels)
        figures["checked_on"] = images.checked_on if images.checks is not None else "random inputs"
        broken = _beyond_tolerance(quantize, figures)
        if broken:
            raise ExportToleranceError(
                f"The {format} export (quantize={quantize!r}) differs from the Keras model "
                f"on {figures['samples_checked']} inputs: {'; '.join(broken)}. Nothing was "
                f"written to {path!r}."
            )
        dtypes = adapter.weight_dtypes(temporary)
        adapter.move(temporary, path)
    finally:
        adapter.remove(temporary)
    record = path + ".export.json"
    write_json_atomic(record, _record(adapter, path, quantize, fold_bn, figures, dtypes, options))
    return ExportResult(path=path, format=format, quantize=quantize, weight_dtypes=dtypes,
                        runtime_options=options, record=record, **figures)  # fmt: skip

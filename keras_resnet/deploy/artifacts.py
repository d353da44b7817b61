"""``export``: a trained network as a deployable file, checked against Keras before it lands.

The file is written under a temporary name by Keras' own ``model.export(format=...)`` and the
format's own quantizer (``runtimes``), loaded in its own runtime and compared with the Keras
model on the calibration images; only an artifact within tolerance is renamed into place,
with ``<path>.export.json`` beside it (sha256 of every file, versions, the measured figures).
"""

from __future__ import annotations

import dataclasses
import datetime
import os

import keras
import numpy as np

from keras_resnet.deploy import runtimes
from keras_resnet.deploy.fold import fold_batchnorm
from keras_resnet.io import check_writable, sha256_file, write_json_atomic
from keras_resnet.vocabulary import EXPORT_QUANTIZATIONS, check_choice, check_positive

#: What ``quantize`` each format takes (None: the float32 network as trained).
QUANTIZATIONS = EXPORT_QUANTIZATIONS
#: The formats Keras' own ``model.export`` writes on each backend (tried with Keras 3.15: JAX
#: lacks LiteRT, and ONNX without the jax2onnx package, and its OpenVINO conversion fails on
#: a ResNet; PyTorch's SavedModel export fails and LiteRT needs litert-torch).
BACKEND_FORMATS = {
    "tensorflow": tuple(QUANTIZATIONS),
    "jax": ("tf_saved_model",),
    "torch": ("onnx", "openvino"),
}
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


def _carried_dataset(model: keras.Model) -> str | None:
    """The dataset a recipe-trained model carries (``checkpoint.preprocessing.dataset``)."""
    checkpoint = getattr(model, "checkpoint", None)
    return checkpoint.preprocessing.dataset if checkpoint else None


def _calibration_images(
    model: keras.Model, calibration, samples: int, data_dir: str | None, *, carried: bool = False
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Up to ``samples`` float32 model inputs and their labels (None where the data has
    none): from a ``tf.data.Dataset`` (of images or (image, label) pairs, batched or not), a
    ``keras_resnet.data`` dataset name with an optional ``:split`` (default "train"), or, with
    None, the dataset the model was trained on (``_carried_dataset``), prepared as the
    model's evaluation pipeline prepares them. A dataset the caller did not name (the
    carried one: ``carried``) is never downloaded: (None, None) where it is not on disk."""
    if calibration is None:
        calibration, carried = _carried_dataset(model), True
        if calibration is None:
            return None, None
    if isinstance(calibration, str):
        from keras_resnet import data

        name, _, split = calibration.partition(":")
        try:
            calibration = data.load(name, split or "train", batch_size=64, training=False,
                                    data_dir=data_dir, preprocessing=model,
                                    download=not carried)  # fmt: skip
        except FileNotFoundError:
            if not carried:
                raise
            return None, None
    if not hasattr(calibration, "take"):
        raise ValueError(
            "The `calibration` argument should be a tf.data.Dataset, a keras_resnet.data "
            f"dataset name ('fashion_mnist', 'cifar10:test') or None. Received: {calibration!r}"
        )
    shape = tuple(model.input_shape[1:])
    images, labels, count = [], [], 0
    for element in calibration:
        pair = isinstance(element, tuple | list)
        x = np.asarray(element[0] if pair else element, "float32")
        if x.shape[-len(shape) :] != shape:
            raise ValueError(
                f"The `calibration` images should have the model's input shape {shape}. "
                f"Received images of shape {x.shape}"
            )
        x = x.reshape((-1, *shape))
        images.append(x)
        if pair and len(element) > 1:
            y = np.asarray(element[1])
            labels.append(y.argmax(-1) if y.ndim > x.ndim - 3 else y.reshape(-1))  # one-hot
        count += len(x)
        if count >= samples:
            break
    if not images:
        return None, None
    known = np.concatenate(labels)[:samples] if len(labels) == len(images) else None
    return np.concatenate(images)[:samples], known


#: The largest magnitude a model input can plausibly have: every preprocessing the package
#: knows gives inputs within a few units ([0, 1] minus a mean, or divided by a std) or within
#: [-255, 255] (Caffe's pixels minus a mean). LiteRT's converter crashed, ONNX's quantizer and
#: OpenVINO failed on calibration values near float32's maximum.
MAX_INPUT_MAGNITUDE = 1024.0


def _check_plausible(images: np.ndarray | None) -> None:
    """Refuse calibration images with Inf, NaN or values beyond ``MAX_INPUT_MAGNITUDE``."""
    if images is None:
        return
    if not np.all(np.isfinite(images)):
        raise ValueError(
            f"The `calibration` images hold {int(np.sum(~np.isfinite(images)))} values that are "
            "Inf or NaN (the int8 converters crash or calibrate on them): give finite images."
        )
    largest = float(np.max(np.abs(images))) if images.size else 0.0
    if largest > MAX_INPUT_MAGNITUDE:
        raise ValueError(
            f"The `calibration` images hold values up to {largest:.3g} in magnitude; a model "
            f"input lies within +-{MAX_INPUT_MAGNITUDE:g} for every preprocessing (pixels in "
            "[0, 1] or [0, 255], less a mean, over a std): give images prepared as the "
            "model's inputs."
        )


def _no_calibration(model: keras.Model, calibration) -> str:
    """Why int8 has no calibration images, in true words."""
    carried = _carried_dataset(model)
    if calibration is not None:
        return "the given `calibration` holds no images"
    if carried is not None:
        return (
            f"this model carries the dataset {carried!r}, whose images are not on disk here "
            "(export downloads no dataset it was not given)"
        )
    return "this model carries no training dataset"


def _images(model, calibration, samples: int, data_dir: str | None, quantize: str | None):
    """Calibration images, and the images (with labels, and where they come from) the
    artifact is checked on: for int8 never the calibration images themselves (all-zero ones
    would agree 100% with themselves): the test split of the dataset the model carries or
    the one named, else the second half of what was given."""
    carried = _carried_dataset(model)
    if quantize != "int8":
        images, labels = _calibration_images(model, calibration, samples, data_dir)
        _check_plausible(images)
        source = calibration if isinstance(calibration, str) else carried or "given images"
        return None, images, labels, "random inputs" if images is None else str(source)
    if isinstance(calibration, str):
        name, _, split = calibration.partition(":")
        held_out = f"{name}:{'train' if split == 'test' else 'test'}"
    else:
        held_out = f"{carried}:test" if carried else None
    count = samples if held_out else 2 * samples  # a given dataset is split in two
    images, labels = _calibration_images(model, calibration, count, data_dir)
    _check_plausible(images)
    if images is None or held_out:
        from_carried = calibration is None
        checks, check_labels = (
            _calibration_images(model, held_out, samples, data_dir, carried=from_carried)
            if held_out and images is not None
            else (None, None)
        )
        return images, checks, check_labels, f"{held_out} (not used for calibration)"
    half = (len(images) + 1) // 2
    if len(images) < 2:
        raise ValueError(
            "quantize='int8' needs at least 2 `calibration` images: one part calibrates, "
            f"another checks the result. Received: {len(images)}"
        )
    rest = labels[half:] if labels is not None else None
    where = f"the given images {half + 1}-{len(images)} (the first {half} calibrated)"
    return images[:half], images[half:], rest, where


def _check_path(format: str, path: str, overwrite: bool) -> str:
    suffix = runtimes.SUFFIXES[format]
    if suffix and not path.endswith(suffix):
        raise ValueError(
            f"With format={format!r}, the `path` argument should end in {suffix!r}. "
            f"Received: path={path!r}"
        )
    taken = os.path.isfile(path) or (os.path.isdir(path) and os.listdir(path))
    if taken and not overwrite:
        raise FileExistsError(f"{path!r} exists; pass overwrite=True to replace it.")
    check_writable(path, folder_ok=True)  # a SavedModel is a folder
    return path


def _measure(model, format, path, quantize, images, labels) -> dict:
    """The artifact's outputs against the model's on ``images`` (random inputs if None)."""
    if images is None:
        rng = np.random.default_rng(0)
        images = rng.normal(size=(8, *model.input_shape[1:])).astype("float32")
    expected = np.asarray(model.predict(images, batch_size=64, verbose=0), np.float64)
    actual = np.asarray(runtimes.run(format, path, images, quantize), np.float64)
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


def _record(format, path, quantize, fold_bn, figures, dtypes, options) -> dict:
    """``export.json``: what was written, by what, and how closely it matched."""
    base = path if format == "tf_saved_model" else os.path.dirname(path)
    return {
        "format": format,
        "quantize": quantize,
        "fold_bn": fold_bn,
        "sha256": {
            os.path.relpath(file, base): sha256_file(file)
            for file in runtimes.artifact_files(format, path)
        },
        **figures,
        "tolerance": TOLERANCES[quantize],
        "weight_dtypes": dtypes,
        "runtime_options": options,
        "inference_precision": runtimes.inference_precision(format, path, quantize),
        "versions": runtimes.versions(format, quantize),
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
    check_choice("format", format, tuple(QUANTIZATIONS))
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
    path = _check_path(format, os.fspath(path), overwrite)
    runtimes.require(format, quantize)
    from keras_resnet.models.saved import load_model

    model = load_model(model)
    images, checks, labels, checked_on = _images(model, calibration, samples, data_dir, quantize)
    if quantize == "int8" and images is None:
        raise ValueError(
            "quantize='int8' needs calibration images: pass `calibration` (a tf.data.Dataset "
            f"or a dataset name such as 'cifar10'); {_no_calibration(model, calibration)}."
        )
    network = fold_batchnorm(model) if fold_bn else model
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".tmp.{os.getpid()}.{name}")
    try:
        options = runtimes.write(network, format, temporary, quantize, images)
        figures = _measure(model, format, temporary, quantize, checks, labels)
        figures["checked_on"] = checked_on if checks is not None else "random inputs"
        broken = _beyond_tolerance(quantize, figures)
        if broken:
            raise ExportToleranceError(
                f"The {format} export (quantize={quantize!r}) differs from the Keras model "
                f"on {figures['samples_checked']} inputs: {'; '.join(broken)}. Nothing was "
                f"written to {path!r}."
            )
        dtypes = runtimes.weight_dtypes(format, temporary)
        runtimes.move(format, temporary, path)
    finally:
        runtimes.remove(format, temporary)
    record = path + ".export.json"
    write_json_atomic(record, _record(format, path, quantize, fold_bn, figures, dtypes, options))
    return ExportResult(path=path, format=format, quantize=quantize, weight_dtypes=dtypes,
                        runtime_options=options, record=record, **figures)  # fmt: skip

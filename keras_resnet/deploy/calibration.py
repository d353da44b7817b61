"""Which images an export is calibrated on and which it is checked on: the dataset a
recipe-trained model carries, a named one, or a ``tf.data.Dataset``; int8 is never checked
on the images it was calibrated on."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np


@dataclasses.dataclass(frozen=True)
class ExportImages:
    """The images an export uses: ``calibration`` (int8 only), the ``checks`` the artifact is
    compared with Keras on and their ``labels`` (None where unknown), and ``checked_on``,
    where the checks come from in words.

    Example:
        >>> ExportImages(None, None, None, "random inputs").checked_on
        'random inputs'
    """

    calibration: np.ndarray | None
    checks: np.ndarray | None
    labels: np.ndarray | None
    checked_on: str


def carried_dataset(model: keras.Model) -> str | None:
    """The dataset a recipe-trained model carries (``checkpoint.preprocessing.dataset``)."""
    checkpoint = getattr(model, "checkpoint", None)
    return checkpoint.preprocessing.dataset if checkpoint else None


def _calibration_images(
    model: keras.Model, calibration, samples: int, data_dir: str | None, *, carried: bool = False
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Up to ``samples`` float32 model inputs and their labels (None where the data has
    none): from a ``tf.data.Dataset`` (of images or (image, label) pairs, batched or not), a
    ``keras_resnet.data`` dataset name with an optional ``:split`` (default "train"), or, with
    None, the dataset the model was trained on (``carried_dataset``), prepared as the
    model's evaluation pipeline prepares them. A dataset the caller did not name (the
    carried one: ``carried``) is never downloaded: (None, None) where it is not on disk."""
    if calibration is None:
        calibration, carried = carried_dataset(model), True
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


def no_calibration(model: keras.Model, calibration) -> str:
    """Why int8 has no calibration images, in true words."""
    carried = carried_dataset(model)
    if calibration is not None:
        return "the given `calibration` holds no images"
    if carried is not None:
        return (
            f"this model carries the dataset {carried!r}, whose images are not on disk here "
            "(export downloads no dataset it was not given)"
        )
    return "this model carries no training dataset"


def export_images(model, calibration, samples: int, data_dir: str | None,
                  quantize: str | None) -> ExportImages:  # fmt: skip
    """Calibration images, and the images (with labels, and where they come from) the
    artifact is checked on: for int8 never the calibration images themselves (all-zero ones
    would agree 100% with themselves): the test split of the dataset the model carries or
    the one named, else the second half of what was given.

    Example:
        >>> export_images(keras_resnet.ResNet20(), None, 8, None, None).checked_on
        'random inputs'
    """
    carried = carried_dataset(model)
    if quantize != "int8":
        images, labels = _calibration_images(model, calibration, samples, data_dir)
        _check_plausible(images)
        source = calibration if isinstance(calibration, str) else carried or "given images"
        return ExportImages(None, images, labels,
                            "random inputs" if images is None else str(source))  # fmt: skip
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
        return ExportImages(images, checks, check_labels, f"{held_out} (not used for calibration)")
    half = (len(images) + 1) // 2
    if len(images) < 2:
        raise ValueError(
            "quantize='int8' needs at least 2 `calibration` images: one part calibrates, "
            f"another checks the result. Received: {len(images)}"
        )
    rest = labels[half:] if labels is not None else None
    where = f"the given images {half + 1}-{len(images)} (the first {half} calibrated)"
    return ExportImages(images[:half], images[half:], rest, where)

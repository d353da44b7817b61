"""Classify image files with a model, using the preprocessing its training data had."""

from __future__ import annotations

import dataclasses
import os

import keras
import numpy as np

from keras_resnet import data
from keras_resnet.checkpoint import preprocessing_dict
from keras_resnet.data.catalog import CIFAR_STYLE, KNOWN_DATASETS
from keras_resnet.data.images import (
    DECODE_ERRORS,
    decode_image,
    describe_decode_error,
    view_pixel_bound,
)
from keras_resnet.data.memory import arrays, class_names, has_raw_files, pixel_mean
from keras_resnet.data.on_device import cifar_inputs
from keras_resnet.errors import needs_tensorflow
from keras_resnet.imagenet_utils import class_index
from keras_resnet.recipes.evaluation import check_fits, check_fits_known
from keras_resnet.vocabulary import check_positive


@dataclasses.dataclass
class Prediction:
    """The top classes of one file, or why it could not be read.

    Example:
        >>> Prediction("boot.png", [(9, "Ankle boot", 0.93)]).classes[0][1]
        'Ankle boot'
    """

    path: str
    classes: list[tuple[int, str, float]] = dataclasses.field(default_factory=list)
    error: str | None = None


def _imagenet_view(chosen: dict | None, height: int | None, channels: int):
    """The checkpoint's (else the paper's) ImageNet view of a uint8 RGB image (tf.image)."""
    try:
        import tensorflow as tf
    except ImportError:
        raise needs_tensorflow("Predicting with an ImageNet-style view (resize and crop)") from None
    if chosen and height:  # the checkpoint's crop and interpolation at the model's size
        chosen = {**chosen, "input_size": (3, height, height)}
    view = data.evaluation_view("imagenet", size=height or 224, preprocessing=chosen)

    def rgb_view(image):  # files decode as RGB; a one-channel model gets the luminance
        x = view(tf.cast(image, tf.float32) / 255.0)
        return tf.image.rgb_to_grayscale(x) if channels == 1 else x

    return rgb_view


def _in_memory_view(dataset: str, data_dir: str | None, size: int):
    """Section 4.2's view of a uint8 image for a dataset whose raw files are on disk, as
    ``data.arrays`` + ``on_device.cifar_inputs`` give its test images (no TensorFlow):
    resized to the dataset's size, minus its per-pixel training mean, zero padded."""
    mean = pixel_mean(arrays(dataset, "train", data_dir=data_dir)[0])

    def cifar_view(image):
        batch = keras.ops.expand_dims(keras.ops.cast(image, "float32"), 0)
        if tuple(batch.shape[1:3]) != mean.shape[:2]:  # (resizing is linear: before /255)
            batch = keras.ops.image.resize(batch, mean.shape[:2])
        return cifar_inputs(batch, mean, size)[0]

    return cifar_view, list(class_names(dataset, data_dir)), mean.shape[-1]


def _tfds_view(dataset: str, data_dir: str | None, size: int | None):
    """The evaluation view of a prepared TFDS dataset (never downloaded), its class names and
    channels."""
    import tensorflow as tf

    from keras_resnet.data import transforms
    from keras_resnet.data.mean import training_pixel_mean

    info = data.info(dataset, data_dir, download=False)
    size = size or info["defaults"].image_size
    if info["defaults"].style != CIFAR_STYLE:
        view = data.evaluation_view(info["defaults"].style, size=size)
        return (
            lambda image: view(tf.cast(image, tf.float32) / 255.0),
            info["class_names"],
            3,
        )
    mean = training_pixel_mean(data.get_builder(dataset, data_dir, download=False))
    view = data.evaluation_view(CIFAR_STYLE, size=size)

    def cifar_view(image):  # as data.decoded yields it: native size, mean-subtracted, padded
        x = tf.image.resize(tf.cast(image, tf.float32) / 255.0, mean.shape[:2])
        return view(transforms.cifar_input(x, mean, size))

    return cifar_view, info["class_names"], mean.shape[-1]


def _preprocessor(model: keras.Model, dataset: str | None, data_dir: str | None, preprocessing):
    """A function from a uint8 HWC image to the model's input, the class names, and the
    channels files are decoded to.

    The model's own checkpoint decides unless ``dataset`` or ``preprocessing`` is given: a
    recipe-trained model names its dataset (its pipeline and class names), a pretrained one
    its evaluation view (and ImageNet's class names for 1000 outputs).
    """
    height, _, channels = model.input_shape[1:]
    checkpoint = getattr(model, "checkpoint", None)
    chosen = preprocessing_dict(preprocessing or checkpoint)
    dataset = dataset or (chosen or {}).get("dataset")
    names = list(checkpoint.class_names) if checkpoint and checkpoint.class_names else None
    if dataset is None:
        if names is None and model.output_shape[-1] == 1000:
            names = [name for _, name in class_index()]
        return _imagenet_view(chosen, height, channels), names, 3
    check_fits_known(model, dataset)
    # Predicting never downloads: the dataset's raw files are on disk, or it is prepared.
    if has_raw_files(dataset, data_dir):
        size = height or KNOWN_DATASETS[dataset].image_size
        view, dataset_names, file_channels = _in_memory_view(dataset, data_dir, size)
    else:
        view, dataset_names, file_channels = _tfds_view(dataset, data_dir, height)
    names = names or dataset_names
    check_fits(model, dataset, len(names), file_channels)
    return view, names, file_channels


def predict_files(
    model: keras.Model,
    paths: list[str],
    *,
    dataset: str | None = None,
    data_dir: str | None = None,
    top: int = 5,
    preprocessing=None,
) -> list[Prediction]:
    """Top-``top`` classes for each image file; unreadable files get an error, not an exception.

    The model's checkpoint (``model.checkpoint``) says how: a model trained by
    ``recipes.train`` gets its dataset's evaluation preprocessing and class names, a
    pretrained one its checkpoint's view (1000 outputs: ImageNet's class names). ``dataset``
    or ``preprocessing`` (anything ``data.preprocessing_dict`` takes) override it; a model
    without a checkpoint gets the paper's ImageNet view.

    Example:
        >>> model = keras_resnet.ResNet20()
        >>> predict_files(model, ["missing.png"])[0].error is not None
        True
    """
    check_positive("top", top, allow_none=False)
    if isinstance(paths, str | bytes | os.PathLike):
        raise ValueError(f"The `paths` argument should be a list of files. Received: {paths!r}")
    if dataset is not None:
        data.check_name(dataset, argument="dataset")
    preprocess, names, channels = _preprocessor(model, dataset, data_dir, preprocessing)
    max_pixels = view_pixel_bound(*model.input_shape[1:3])
    results = []
    for path in paths:
        try:
            image = decode_image(path, channels, max_pixels=max_pixels)
        except DECODE_ERRORS as error:
            results.append(Prediction(path, error=describe_decode_error(error)))
            continue
        scores = np.asarray(model.predict_on_batch(preprocess(image)[None]))[0]
        best = np.argsort(-scores)[:top]
        label = (lambda i: names[i]) if names else (lambda i: f"class {i}")
        results.append(Prediction(path, [(int(i), label(int(i)), float(scores[i])) for i in best]))
    return results

"""Classify image files with a model, using the preprocessing its training data had."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from keras_resnet import data
from keras_resnet.data import transforms
from keras_resnet.data.catalog import CIFAR_STYLE
from keras_resnet.data.directory import decode_image
from keras_resnet.data.mean import training_pixel_mean
from keras_resnet.imagenet_utils import class_index


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


def _preprocessor(
    model: keras.Model, dataset: str | None, data_dir: str | None, preprocessing: dict | None
):
    """A function from a uint8 HWC image to the model's input, and the class names."""
    height, _, channels = model.input_shape[1:]
    imagenet_names = None
    if model.output_shape[-1] == 1000:
        imagenet_names = [name for _, name in class_index()]
    if preprocessing:

        def checkpoint_view(image):
            x = tf.image.grayscale_to_rgb(image) if image.shape[-1] == 1 else image
            return transforms.checkpoint_eval(tf.cast(x, tf.float32) / 255.0, preprocessing)

        return checkpoint_view, imagenet_names, 3
    if dataset is None:
        size = height or 224

        def imagenet_view(image):
            x = tf.image.grayscale_to_rgb(image) if image.shape[-1] == 1 else image
            return transforms.imagenet_eval(tf.cast(x, tf.float32) / 255.0, size=size)

        return imagenet_view, imagenet_names, 3 if channels in (None, 3) else channels
    about = data.info(dataset, data_dir)
    names = about["class_names"]
    if about["defaults"].style != CIFAR_STYLE:
        size = height or about["defaults"].image_size
        return (
            lambda image: transforms.imagenet_eval(tf.cast(image, tf.float32) / 255.0, size=size),
            names,
            3,
        )
    builder = data.get_builder(dataset, data_dir)
    mean = training_pixel_mean(builder)
    native = mean.shape[:2]
    size = height or about["defaults"].image_size

    def cifar_view(image):
        x = tf.image.resize(tf.cast(image, tf.float32) / 255.0, native)
        return transforms.pad_to(x - mean, size)

    return cifar_view, names, mean.shape[-1]


def predict_files(
    model: keras.Model,
    paths: list[str],
    *,
    dataset: str | None = None,
    data_dir: str | None = None,
    top: int = 5,
    preprocessing: dict | None = None,
) -> list[Prediction]:
    """Top-``top`` classes for each image file; unreadable files get an error, not an exception.

    With ``dataset`` the images get that dataset's evaluation preprocessing and class names
    (e.g. a model trained by ``recipes.train`` on fashion_mnist); without it, the paper's
    ImageNet view (shorter side 256, centre 224 crop, mean subtraction); with
    ``preprocessing`` (a zoo entry's, see ``keras_resnet.weights_info``) that checkpoint's own
    view. A 1000-class model without ``dataset`` gets ImageNet class names.

    Example:
        >>> model = keras_resnet.ResNet20()
        >>> predict_files(model, ["missing.png"])[0].error is not None
        True
    """
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"The `top` argument should be a positive integer. Received: top={top!r}")
    preprocess, names, channels = _preprocessor(model, dataset, data_dir, preprocessing)
    results = []
    for path in paths:
        try:
            image = decode_image(path, channels)
        except (OSError, ValueError, SyntaxError) as error:
            results.append(Prediction(path, error=f"not a readable image ({error})"))
            continue
        scores = np.asarray(model.predict_on_batch(preprocess(image)[None]))[0]
        best = np.argsort(-scores)[:top]
        label = (lambda i: names[i]) if names else (lambda i: f"class {i}")
        results.append(Prediction(path, [(int(i), label(int(i)), float(scores[i])) for i in best]))
    return results

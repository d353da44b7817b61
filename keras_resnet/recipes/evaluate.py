"""``evaluate``: accuracy of a model on a dataset with the paper's test-time views."""

from __future__ import annotations

import keras
import numpy as np

from keras_resnet import data
from keras_resnet.data.catalog import CIFAR_STYLE, KNOWN_DATASETS
from keras_resnet.models.saved import load_model
from keras_resnet.vocabulary import check_choice, check_positive

CROPS = ("center", "ten", "multiscale")


def check_fits(model: keras.Model, dataset: str, classes: int, channels: int | None) -> None:
    """Refuse a model whose outputs (or input channels) are not the dataset's: its accuracy
    would be computed, and mean nothing.

    Example:
        >>> check_fits(keras_resnet.ResNet20(classes=5), "cifar10", 10, 3)
        Traceback (most recent call last):
        ...
        ValueError: The model has 5 outputs but cifar10 has 10 classes: use a model trained \
on cifar10.
    """
    if model.output_shape[-1] != classes:
        raise ValueError(
            f"The model has {model.output_shape[-1]} outputs but {dataset} has {classes} "
            f"classes: use a model trained on {dataset}."
        )
    if channels and model.input_shape[-1] not in (None, channels):
        raise ValueError(
            f"The model takes {model.input_shape[-1]}-channel images but {dataset}'s images "
            f"have {channels}: use a model trained on {dataset}."
        )


def check_fits_known(model: keras.Model, dataset: str) -> None:
    """``check_fits`` for a dataset whose classes and channels the catalog knows, before
    anything is read or downloaded (nothing is checked for other datasets here).

    Example:
        >>> check_fits_known(keras_resnet.ResNet20(), "fashion_mnist")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The model takes 3-channel images but fashion_mnist's images have 1: ...
    """
    known = KNOWN_DATASETS.get(dataset)
    if known is not None and known.classes is not None:
        check_fits(model, dataset, known.classes, known.channels)


def _scores(model, views) -> np.ndarray:
    return np.asarray(model.predict_on_batch(views), np.float64)


def evaluate(
    model_or_path,
    dataset: str,
    *,
    split: str = "test",
    crops: str = "center",
    data_dir: str | None = None,
    batch_size: int = 256,
    limit: int | None = None,
    preprocessing=None,
    verbose: int = 0,
) -> dict:
    """Top-1 (and top-5) accuracy of a model on ``dataset`` with the paper's test views.

    ``crops``: ``"center"`` (the single view: the original CIFAR image, or shorter side 256
    and the centre 224 crop), ``"ten"`` (four corners and centre plus their mirrors, scores
    averaged; CIFAR-like images are first zero-padded by 4 pixels) or ``"multiscale"`` (the
    fully-convolutional model averaged over shorter sides {224, 256, 384, 480, 640}, scaled
    to the image size for CIFAR-like data). ``limit`` evaluates the first examples only.
    ``verbose=1`` shows Keras' progress bar (images done of the split), 2 one line at
    the end.
    For ImageNet-like data the centre view is the checkpoint's own when the model carries a
    pretrained checkpoint (``model.checkpoint``) or ``preprocessing`` names one (anything
    ``data.preprocessing_dict`` takes), else the paper's.

    Example:
        >>> evaluate("runs/fm20/best.keras", "fashion_mnist")  # doctest: +SKIP
        {'accuracy': 0.91, 'error': 0.09, 'examples': 10000, 'crops': 'center'}
    """
    check_choice("crops", crops, CROPS)
    for name, value in (("batch_size", batch_size), ("limit", limit)):
        check_positive(name, value)
    data.check_name(dataset, argument="dataset")
    model = load_model(model_or_path)
    check_fits_known(model, dataset)  # before a download that may take an hour
    import tensorflow as tf  # the evaluation views are tf.data pipelines

    from keras_resnet.data import transforms

    ds, defaults, size = data.decoded(dataset, split, data_dir=data_dir)
    about = data.info(dataset, data_dir)
    cifar_style = defaults.style == CIFAR_STYLE
    check_fits(model, dataset, about["classes"], about["image_shape"][-1] if cifar_style else 3)
    total = about["splits"].get(split)
    if limit is not None:
        ds = ds.take(limit)
        total = min(total, limit) if total else limit
    progress = keras.utils.Progbar(total, verbose=verbose, unit_name="image")
    all_scores, all_labels = [], []

    def collect(scores, labels) -> None:
        all_scores.append(scores)
        all_labels.append(labels)
        progress.add(len(labels))

    mean = 0.0 if cifar_style else tf.constant(transforms.IMAGENET_MEAN_RGB)
    if crops == "center":
        view = data.evaluation_view(defaults.style, size=size, preprocessing=preprocessing or model)
        ds = ds.map(lambda x, y: (view(x), y))
        for images, labels in ds.batch(batch_size).prefetch(tf.data.AUTOTUNE):
            collect(_scores(model, images), labels.numpy())
    elif crops == "ten":
        resize = round(size * 256 / 224)

        def views(image):
            if cifar_style:
                image = tf.pad(image, [[4, 4], [4, 4], [0, 0]])
            else:
                image = transforms.resize_shorter_side(image, resize) - mean
            return data.ten_crop(image, size)

        for images, labels in ds.map(lambda x, y: (views(x), y)).batch(max(1, batch_size // 10)):
            flat = tf.reshape(images, (-1, size, size, images.shape[-1]))
            scores = _scores(model, flat).reshape(images.shape[0], 10, -1).mean(axis=1)
            collect(scores, labels.numpy())
    else:
        scales = [round(size * s / 224) for s in data.PAPER_SCALES]
        net = data.fully_convolutional(model)
        for image, label in ds:
            scores = data.multiscale_predict(net, image, scales, mean=mean)
            collect(scores, np.atleast_1d(label.numpy()))
    scores, labels = np.concatenate(all_scores), np.concatenate(all_labels)
    if verbose:
        progress.update(len(labels), finalize=True)
    top1 = float(np.mean(scores.argmax(axis=1) == labels))
    result = {"accuracy": top1, "error": 1.0 - top1, "examples": len(labels), "crops": crops}
    if scores.shape[1] > 10:
        top5 = np.argsort(-scores, axis=1)[:, :5]
        result["top5_accuracy"] = float(np.mean((top5 == labels[:, None]).any(axis=1)))
    return result

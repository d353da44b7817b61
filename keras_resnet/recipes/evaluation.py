"""``evaluate``: accuracy of a model on a dataset with the paper's test-time views."""

from __future__ import annotations

import keras
import numpy as np

from keras_resnet import data
from keras_resnet.checkpoint import preprocessing_dict
from keras_resnet.data.catalog import CIFAR_STYLE, KNOWN_DATASETS
from keras_resnet.data.memory import RAW_FILE_DATASETS, arrays, pixel_mean
from keras_resnet.data.on_device import cifar_inputs, ten_views
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


class _Scores:
    """A model's scores and the labels, gathered batch by batch under Keras' progress bar."""

    def __init__(self, verbose: int):
        self.verbose, self.scores, self.labels = verbose, [], []
        self.progress = keras.utils.Progbar(None, verbose=0)

    def expect(self, total: int | None) -> None:
        self.progress = keras.utils.Progbar(total, verbose=self.verbose, unit_name="image")

    def add(self, scores: np.ndarray, labels: np.ndarray) -> None:
        self.scores.append(scores)
        self.labels.append(labels)
        self.progress.add(len(labels))

    def result(self, crops: str) -> dict:
        scores, labels = np.concatenate(self.scores), np.concatenate(self.labels)
        if self.verbose and self.progress.target != len(labels):  # else printed already
            self.progress.update(len(labels), finalize=True)
        top1 = float(np.mean(scores.argmax(axis=1) == labels))
        result = {"accuracy": top1, "error": 1.0 - top1, "examples": len(labels), "crops": crops}
        if scores.shape[1] > 10:
            top5 = np.argsort(-scores, axis=1)[:, :5]
            result["top5_accuracy"] = float(np.mean((top5 == labels[:, None]).any(axis=1)))
        return result


def _from_arrays(model, dataset, split, crops, data_dir, batch_size, limit, collect) -> None:
    """Score a small dataset's split held in memory (``data.arrays``: no TensorFlow), its
    images as section 4.2's pipeline gives them (``on_device.cifar_inputs``)."""
    train_images, train_labels = arrays(dataset, "train", data_dir=data_dir)
    mean = pixel_mean(train_images)
    if split == "train":
        images, labels = train_images, train_labels
    else:
        images, labels = arrays(dataset, split, data_dir=data_dir)
    images, labels = images[:limit], labels[:limit]
    collect.expect(len(labels))
    size = KNOWN_DATASETS[dataset].image_size
    step = batch_size if crops == "center" else max(1, batch_size // 10)
    for start in range(0, len(labels), step):
        x = cifar_inputs(images[start : start + step], mean, size)
        if crops == "center":
            collect.add(_scores(model, x), labels[start : start + step])
        else:
            scores = _scores(model, ten_views(x, size)).reshape(len(x), 10, -1).mean(axis=1)
            collect.add(scores, labels[start : start + step])


def _from_tfdata(model, dataset, split, crops, data_dir, batch_size, limit, preprocessing,
                 collect) -> None:  # fmt: skip
    """Score a TFDS dataset's split through tf.data with the evaluation views."""
    import tensorflow as tf

    from keras_resnet.data import transforms

    ds, defaults, size = data.decoded(dataset, split, data_dir=data_dir)
    info = data.info(dataset, data_dir)
    cifar_style = defaults.style == CIFAR_STYLE
    check_fits(
        model,
        dataset,
        info["classes"],
        info["image_shape"][-1] if cifar_style else 3,
    )
    total = info["splits"].get(split)
    if limit is not None:
        ds = ds.take(limit)
        total = min(total, limit) if total else limit
    collect.expect(total)
    mean = 0.0 if cifar_style else tf.constant(transforms.IMAGENET_MEAN_RGB)
    if crops == "center":
        view = data.evaluation_view(defaults.style, size=size, preprocessing=preprocessing or model)
        ds = ds.map(lambda x, y: (view(x), y))
        for images, labels in ds.batch(batch_size).prefetch(tf.data.AUTOTUNE):
            collect.add(_scores(model, images), labels.numpy())
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
            collect.add(scores, labels.numpy())
    else:
        scales = [round(size * s / 224) for s in data.PAPER_SCALES]
        net = data.fully_convolutional(model)
        for image, label in ds:
            scores = data.multiscale_predict(net, image, scales, mean=mean)
            collect.add(scores, np.atleast_1d(label.numpy()))


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
    fashion_mnist, mnist, cifar10 and cifar100 (train or test split, centre or ten crops) are
    read into memory and need no TensorFlow; the rest goes through tf.data.

    Example:
        >>> evaluate("runs/fm20/best.keras", "fashion_mnist")  # doctest: +SKIP
        {'accuracy': 0.91, 'error': 0.09, 'examples': 10000, 'crops': 'center'}
    """
    check_choice("crops", crops, CROPS)
    for name, value in (("batch_size", batch_size), ("limit", limit)):
        check_positive(name, value)
    if dataset not in KNOWN_DATASETS:
        data.check_name(dataset, argument="dataset")
    preprocessing_dict(preprocessing)  # checked whatever the dataset's style
    model = load_model(model_or_path)
    check_fits_known(model, dataset)  # before a download that may take an hour
    scores = _Scores(verbose)
    if dataset in RAW_FILE_DATASETS and split in ("train", "test") and crops != "multiscale":
        _from_arrays(model, dataset, split, crops, data_dir, batch_size, limit, scores)
    else:
        _from_tfdata(model, dataset, split, crops, data_dir, batch_size, limit, preprocessing,
                     scores)  # fmt: skip
    return scores.result(crops)

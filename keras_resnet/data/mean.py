"""The per-pixel training mean of section 4.2, computed once and cached beside the data."""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from keras_resnet.io import atomic_write

MEAN_FILENAME = "keras_resnet_pixel_mean.npy"


def compute_pixel_mean(dataset: tf.data.Dataset) -> np.ndarray:
    """Per-pixel mean (H, W, C) in float32 of a dataset of (uint8 image, label) pairs in [0, 1].

    Example:
        >>> ds = tf.data.Dataset.from_tensor_slices((np.full((4, 2, 2, 1), 255, np.uint8), [0] * 4))
        >>> compute_pixel_mean(ds).ravel().tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    total, count = None, 0
    for images, _ in dataset.batch(4096).as_numpy_iterator():
        batch_sum = images.astype(np.float64).sum(axis=0)
        total = batch_sum if total is None else total + batch_sum
        count += len(images)
    if not count:
        raise ValueError("Cannot compute a pixel mean over an empty training split")
    return (total / count / 255.0).astype(np.float32)


def cached_pixel_mean(directory: str, compute) -> np.ndarray:
    """Load ``directory/keras_resnet_pixel_mean.npy``, or ``compute()`` it and save it atomically.

    Example:
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> cached_pixel_mean(d, lambda: np.zeros((2, 2, 1), np.float32)).shape
        (2, 2, 1)
        >>> cached_pixel_mean(d, lambda: 1 / 0).shape  # second call reads the cache
        (2, 2, 1)
    """
    path = os.path.join(directory, MEAN_FILENAME)
    if os.path.isfile(path):
        return np.load(path, allow_pickle=False)
    mean = compute()

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.save(f, mean, allow_pickle=False)

    atomic_write(path, write)
    return mean


def training_pixel_mean(builder) -> np.ndarray:
    """The per-pixel mean of a prepared TFDS dataset's train split, cached beside its data.

    Example:
        >>> training_pixel_mean(get_builder("fashion_mnist")).shape  # doctest: +SKIP
        (28, 28, 1)
    """
    return cached_pixel_mean(
        builder.data_dir,
        lambda: compute_pixel_mean(builder.as_dataset(split="train", as_supervised=True)),
    )

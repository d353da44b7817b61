"""A user's class-per-folder images as a tf.data pipeline, decoded robustly with Pillow."""

from __future__ import annotations

import tensorflow as tf

from keras_resnet.data.images import MODES, decode_image, list_images, readable_files
from keras_resnet.vocabulary import check_choice, check_positive


def from_directory(
    path: str,
    *,
    image_size: int | tuple[int, int] = 224,
    channels: int = 3,
    batch_size: int = 32,
    training: bool = False,
    seed: int | None = None,
    shuffle_buffer: int = 1_000,
) -> tf.data.Dataset:
    """Images in ``path/<class>/*`` as batches of (float32 images in [0, 1], int labels).

    Files that Pillow cannot decode in full (corrupt, truncated, not an image, over its
    decompression-bomb limit) are skipped with one warning that counts and names them;
    grayscale, RGBA, palette, CMYK and 16-bit images are converted to ``channels``; EXIF
    orientation is applied. Images are resized to ``image_size``; training shuffles and flips.
    The dataset's ``class_names`` attribute lists the folders.

    Example:
        >>> ds = from_directory("photos", image_size=160)  # doctest: +SKIP
        >>> ds.class_names  # doctest: +SKIP
        ['cats', 'dogs']
    """
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if len(size) != 2 or not all(type(s) is int and s > 0 for s in size):
        raise ValueError(
            "The `image_size` argument should be a positive int or (height, width). "
            f"Received: image_size={image_size!r}"
        )
    check_choice("channels", channels, MODES)
    check_positive("batch_size", batch_size, allow_none=False)
    check_positive("shuffle_buffer", shuffle_buffer, allow_none=False)
    files, labels, class_names = list_images(path)
    files, labels = readable_files(files, labels, path, caller="from_directory")

    def load_one(file):
        return decode_image(file.decode(), channels, size)

    def decode(file, label):
        image = tf.numpy_function(load_one, [file], tf.uint8, stateful=False)
        image = tf.ensure_shape(image, (*size, channels))
        return tf.cast(image, tf.float32) / 255.0, label

    ds = tf.data.Dataset.from_tensor_slices((files, tf.constant(labels, tf.int64)))
    if training:
        ds = ds.shuffle(min(shuffle_buffer, len(files)), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    if training:
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        ds = tf.data.Dataset.zip(ds, seeds).map(
            lambda pair, s: (tf.image.stateless_random_flip_left_right(pair[0], s), pair[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    ds = ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    ds.class_names = class_names
    return ds

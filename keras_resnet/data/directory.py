"""A user's class-per-folder images as a tf.data pipeline, decoded robustly with Pillow."""

from __future__ import annotations

import os
import stat
import warnings

import numpy as np
import tensorflow as tf
from PIL import Image, ImageOps

from keras_resnet.vocabulary import check_choice, check_positive

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def _to_8bit(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit integer images (PNG "I;16", "I") to 8-bit grey, scaled by range."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        return Image.fromarray(np.clip(array / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode == "F":
        array = np.asarray(image, dtype=np.float64)
        return Image.fromarray(np.clip(array * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    return image


def open_image(path: str) -> Image.Image:
    """``PIL.Image.open`` for regular files only: a FIFO would block the read forever, and a
    device or socket is no image (``OSError`` naming what it is).

    Example:
        >>> open_image("/dev/null")
        Traceback (most recent call last):
        ...
        OSError: not a regular file (a FIFO, device or socket): skipped
    """
    if not stat.S_ISREG(os.stat(path).st_mode) and not os.path.isdir(path):
        raise OSError("not a regular file (a FIFO, device or socket): skipped")
    return Image.open(path)


def decode_image(path: str, channels: int = 3, size: tuple[int, int] | None = None) -> np.ndarray:
    """Read any Pillow-readable image as uint8 (H, W, channels), upright, optionally resized.

    EXIF orientation is applied; CMYK, palette, grey, RGBA and 16-bit images are converted to
    ``channels`` (1, 3 or 4). Raises ``OSError``/``ValueError`` for files that are not images.

    Example:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
        >>> Image.new("CMYK", (5, 4)).save(path.replace(".png", ".jpg"))
        >>> decode_image(path.replace(".png", ".jpg"), 3, (8, 8)).shape
        (8, 8, 3)
    """
    check_choice("channels", channels, _MODES)
    with open_image(path) as image:
        image = ImageOps.exif_transpose(image)
        image = _to_8bit(image)
        if image.mode == "P":
            image = image.convert("RGBA")
        image = image.convert(_MODES[channels])
        if size is not None:
            image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8).reshape(image.size[1], image.size[0], channels)


#: What a file that cannot be decoded raises: Pillow's OSError ("image file is truncated"),
#: UnidentifiedImageError, a ValueError or SyntaxError from a broken header, and
#: DecompressionBombError for images over Pillow's pixel limit (which stays on).
DECODE_ERRORS = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


def describe_decode_error(error: Exception) -> str:
    """What one of ``DECODE_ERRORS`` says about a file, in words for a user.

    Example:
        >>> describe_decode_error(OSError("image file is truncated"))
        'not a readable image (image file is truncated)'
    """
    if str(error).startswith("not a regular file"):
        return str(error)
    if isinstance(error, Image.DecompressionBombError):
        return f"over Pillow's decompression-bomb limit ({error})"
    return f"not a readable image ({error})"


def unreadable_reason(path: str) -> str | None:
    """Why ``path`` cannot be decoded, or None: the whole image is decoded (``verify``
    passes a truncated JPEG that then fails mid-epoch).

    Example:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
        >>> Image.new("RGB", (4, 4)).save(path)
        >>> unreadable_reason(path) is None
        True
    """
    try:
        with open_image(path) as image:
            image.load()
        return None
    except DECODE_ERRORS as error:
        return describe_decode_error(error)


def list_images(path: str) -> tuple[list[str], list[int], list[str]]:
    """(files, labels, class_names) of a class-per-folder tree; class names sorted.

    Example:
        >>> import tempfile
        >>> root = tempfile.mkdtemp()
        >>> os.makedirs(os.path.join(root, "cats"))
        >>> Image.new("RGB", (4, 4)).save(os.path.join(root, "cats", "a.png"))
        >>> list_images(root)[1:]
        ([0], ['cats'])
    """
    if not os.path.isdir(path):
        raise FileNotFoundError(
            f"The `path` argument should be a directory. Received: path={path!r}"
        )
    class_names = sorted(d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d)))
    if not class_names:
        raise ValueError(
            "The `path` argument should contain one sub-directory per class. "
            f"Received: path={path!r}"
        )
    files, labels = [], []
    for label, name in enumerate(class_names):
        for root, _, names in sorted(os.walk(os.path.join(path, name))):
            for file in sorted(names):
                if file.lower().endswith(IMAGE_EXTENSIONS):
                    files.append(os.path.join(root, file))
                    labels.append(label)
    return files, labels, class_names


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
    check_choice("channels", channels, _MODES)
    check_positive("batch_size", batch_size, allow_none=False)
    check_positive("shuffle_buffer", shuffle_buffer, allow_none=False)
    files, labels, class_names = list_images(path)
    reasons = [unreadable_reason(file) for file in files]
    good = [i for i, reason in enumerate(reasons) if reason is None]
    if len(good) < len(files):
        bad = [f"{file}: {reason}" for file, reason in zip(files, reasons, strict=True) if reason]
        bombs = sum("decompression-bomb" in reason for reason in reasons if reason)
        warnings.warn(
            f"from_directory: skipped {len(bad)} of {len(files)} files in {path!r} that cannot "
            f"be decoded ({bombs} over the decompression-bomb limit): "
            + "; ".join(bad[:10])
            + ("; ..." if len(bad) > 10 else ""),
            stacklevel=2,
        )
    if not good:
        raise ValueError(
            f"No readable images under {path!r} (looked for {', '.join(IMAGE_EXTENSIONS)})"
        )
    files = [files[i] for i in good]
    labels = [labels[i] for i in good]

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

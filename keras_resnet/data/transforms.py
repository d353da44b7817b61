"""The paper's image transforms as tf.data map functions (TensorFlow ops, one image each).

Random transforms take an explicit ``seed`` tensor of shape [2] and use stateless ops, so a
pipeline built with a seed is reproducible however many parallel calls run.
"""

from __future__ import annotations

import math

import tensorflow as tf

from keras_resnet.checkpoint import preprocessing_values
from keras_resnet.vocabulary import IMAGENET_MEAN

# AlexNet's PCA colour augmentation (Krizhevsky et al. 2012), as used by the paper (section
# 3.4): eigenvalues and eigenvectors of the RGB covariance of ImageNet pixels in [0, 1].
IMAGENET_PCA_EIGVAL = (0.2175, 0.0188, 0.0045)
IMAGENET_PCA_EIGVEC = (
    (-0.5675, 0.7192, 0.4009),
    (-0.5808, -0.0045, -0.8140),
    (-0.5836, -0.6948, 0.4203),
)
IMAGENET_PCA_STD = 0.1
# Per-channel mean of ImageNet pixels in [0, 1] (RGB): the per-pixel mean averaged over space.
IMAGENET_MEAN_RGB = IMAGENET_MEAN


def split_seed(seed, count: int):
    """``count`` independent stateless seeds derived from one.

    Example:
        >>> len(split_seed(tf.constant([1, 2], tf.int64), 3))
        3
    """
    return tf.unstack(tf.random.experimental.stateless_split(seed, num=count))


def pad_to(image, size: int):
    """Zero-pad an image symmetrically to ``size`` x ``size`` (never crops).

    Example:
        >>> pad_to(tf.ones((28, 28, 1)), 32).shape
        TensorShape([32, 32, 1])
    """
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    top, left = (size - height) // 2, (size - width) // 2
    return tf.image.pad_to_bounding_box(image, top, left, size, size)


def cifar_input(image, mean, size: int):
    """Section 4.2's input: a [0, 1] image minus the per-pixel training ``mean``, zero padded
    to ``size`` (the tf.data counterpart of ``on_device.cifar_inputs``).

    Example:
        >>> cifar_input(tf.ones((28, 28, 1)), tf.ones((28, 28, 1)), 32).shape
        TensorShape([32, 32, 1])
    """
    return pad_to(image - mean, size)


def pad_crop_flip(image, seed, *, padding: int = 4, flip: bool = True):
    """Section 4.2's augmentation: zero-pad by ``padding``, random crop back, random flip.

    Example:
        >>> out = pad_crop_flip(tf.ones((32, 32, 3)), tf.constant([0, 1], tf.int64))
        >>> out.shape
        TensorShape([32, 32, 3])
    """
    crop_seed, flip_seed = split_seed(seed, 2)
    shape = tf.shape(image)
    padded = tf.pad(image, [[padding, padding], [padding, padding], [0, 0]])
    image = tf.image.stateless_random_crop(padded, shape, seed=crop_seed)
    if flip:
        image = tf.image.stateless_random_flip_left_right(image, seed=flip_seed)
    return image


def resize_shorter_side(image, size, method: str = "bilinear", antialias: bool = False):
    """Resize so the shorter side equals ``size``, keeping the aspect ratio.

    Example:
        >>> resize_shorter_side(tf.zeros((100, 200, 3)), 50).shape
        TensorShape([50, 100, 3])
    """
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = tf.cast(size, tf.float32) / tf.reduce_min(shape)
    new_shape = tf.cast(tf.round(shape * scale), tf.int32)
    return tf.image.resize(image, new_shape, method=method, antialias=antialias)


def center_crop(image, size: int):
    """The central ``size`` x ``size`` window.

    Example:
        >>> center_crop(tf.zeros((256, 300, 3)), 224).shape
        TensorShape([224, 224, 3])
    """
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    return tf.image.crop_to_bounding_box(
        image, (height - size) // 2, (width - size) // 2, size, size
    )


def pca_lighting(image, seed, *, std: float = IMAGENET_PCA_STD):
    """AlexNet's PCA colour noise: add ``eigvec @ (alpha * eigval)``, alpha ~ N(0, std).

    Example:
        >>> pca_lighting(tf.zeros((4, 4, 3)), tf.constant([0, 1], tf.int64)).shape
        TensorShape([4, 4, 3])
    """
    alpha = tf.random.stateless_normal([3], seed=seed, stddev=std)
    eigvec = tf.constant(IMAGENET_PCA_EIGVEC, tf.float32)
    rgb = tf.linalg.matvec(eigvec, alpha * tf.constant(IMAGENET_PCA_EIGVAL, tf.float32))
    return image + rgb


def imagenet_train(image, seed, *, size: int = 224, scale=(256, 480), flip: bool = True):
    """Section 3.4 training view of an image in [0, 1]: shorter side uniform in ``scale``,
    random ``size`` crop, flip, PCA colour noise, mean subtraction.

    Example:
        >>> imagenet_train(tf.zeros((300, 400, 3)), tf.constant([0, 1], tf.int64)).shape
        TensorShape([224, 224, 3])
    """
    scale_seed, crop_seed, flip_seed, colour_seed = split_seed(seed, 4)
    shorter = tf.random.stateless_uniform(
        [], seed=scale_seed, minval=scale[0], maxval=scale[1] + 1, dtype=tf.int32
    )
    image = resize_shorter_side(image, shorter)
    image = tf.image.stateless_random_crop(image, [size, size, 3], seed=crop_seed)
    if flip:
        image = tf.image.stateless_random_flip_left_right(image, seed=flip_seed)
    image = pca_lighting(image, colour_seed)
    return image - tf.constant(IMAGENET_MEAN_RGB, tf.float32)


def imagenet_eval(image, *, size: int = 224, resize: int | None = None):
    """Single-crop evaluation view: shorter side ``resize`` (256 for 224), centre crop, mean.

    Example:
        >>> imagenet_eval(tf.zeros((300, 400, 3))).shape
        TensorShape([224, 224, 3])
    """
    resize = resize or round(size * 256 / 224)
    image = center_crop(resize_shorter_side(image, resize), size)
    return image - tf.constant(IMAGENET_MEAN_RGB, tf.float32)


def checkpoint_eval(image, preprocessing: dict):
    """A pretrained checkpoint's own evaluation view of an image in [0, 1] (timm's recipe).

    Shorter side ``floor(size / crop_pct)`` with the checkpoint's ``interpolation``
    (antialiased, like PIL), centre ``size`` crop, then ``(x - mean) / std``. ``input_size``
    is ``size`` or ``(channels, size, size)`` as in timm's config; defaults are torchvision's
    (ImageNet mean/std, crop_pct 0.875, bilinear, 224).

    Example:
        >>> p = {"crop_pct": 0.95, "interpolation": "bicubic", "input_size": (3, 224, 224)}
        >>> checkpoint_eval(tf.zeros((300, 400, 3)), p).shape
        TensorShape([224, 224, 3])
    """
    values = preprocessing_values(preprocessing)
    size = values["input_size"][-1]
    resized = resize_shorter_side(
        image, math.floor(size / values["crop_pct"]), method=values["interpolation"],
        antialias=True,
    )  # fmt: skip
    mean, std = (tf.constant(values[k], tf.float32) for k in ("mean", "std"))
    return (center_crop(resized, size) - mean) / std

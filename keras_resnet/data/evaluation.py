"""The paper's test-time views: 10-crop and fully-convolutional multi-scale (section 3.4)."""

from __future__ import annotations

from numbers import Integral

import keras
import numpy as np
import tensorflow as tf

from keras_resnet.data.on_device import ten_crop_offsets
from keras_resnet.data.transforms import resize_shorter_side
from keras_resnet.vocabulary import check_positive

PAPER_SCALES = (224, 256, 384, 480, 640)


def ten_crop(image, size: int = 224):
    """The four corner crops and the centre crop of ``image``, then the same of its mirror.

    Returns a tensor of shape ``(10, size, size, channels)``, ordered top-left, top-right,
    bottom-left, bottom-right, centre, then the five crops of the flipped image in the same
    order. Average a model's softmax over the 10 to get the paper's 10-crop score.

    Example:
        >>> crops = ten_crop(tf.reshape(tf.range(36.0), (6, 6, 1)), size=4)
        >>> crops.shape
        TensorShape([10, 4, 4, 1])
        >>> float(crops[0, 0, 0, 0]), float(crops[3, 0, 0, 0])  # top-left, bottom-right
        (0.0, 14.0)
    """
    image = tf.convert_to_tensor(image)
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    check_positive("size", size, allow_none=False)
    tf.debugging.assert_greater_equal(
        tf.minimum(height, width), size, message=f"ten_crop: image smaller than size={size}"
    )
    offsets = ten_crop_offsets(height, width, size)
    crops = [tf.image.crop_to_bounding_box(image, y, x, size, size) for y, x in offsets]
    crops += [tf.image.flip_left_right(crop) for crop in crops]
    return tf.stack(crops)


def fully_convolutional(model: keras.Model) -> keras.Model:
    """A copy of ``model`` (same weights) whose input takes any height and width.

    ResNets end in global average pooling, so the same weights apply at any size: this is
    the "fully-convolutional form" the paper averages over scales.

    Example:
        >>> import keras_resnet
        >>> fcn = fully_convolutional(keras_resnet.ResNet20())
        >>> fcn.input_shape
        (None, None, None, 3)
    """
    channels = model.input_shape[-1]
    if model.input_shape[1:3] == (None, None):
        return model
    inputs = keras.Input((None, None, channels))
    clone = keras.models.clone_model(model, input_tensors=inputs)
    clone.set_weights(model.get_weights())
    return clone


def multiscale_predict(model: keras.Model, images, scales=PAPER_SCALES, *, mean=None):
    """Average ``model``'s predictions over images resized to each shorter side in ``scales``.

    ``images`` is one image (H, W, C) or a batch of equally sized images in [0, 1]; ``mean``
    (broadcastable) is subtracted after resizing. The model runs fully convolutionally (see
    ``fully_convolutional``); returns an array of shape (batch, classes).

    Example:
        >>> import keras_resnet
        >>> probs = multiscale_predict(keras_resnet.ResNet20(), np.zeros((32, 40, 3)), (32, 48))
        >>> probs.shape
        (1, 10)
    """
    images = tf.convert_to_tensor(images, tf.float32)
    if images.shape.rank == 3:
        images = images[None]
    sizes = tuple(scales)
    if not sizes or not all(isinstance(s, Integral) and s > 0 and s is not True for s in sizes):
        raise ValueError(
            "The `scales` argument should list at least one size (a positive integer: the "
            f"shorter side). Received: scales={scales!r}"
        )
    net = fully_convolutional(model)
    total = None
    for scale in sizes:
        resized = tf.map_fn(lambda im, s=scale: resize_shorter_side(im, s), images)
        if mean is not None:
            resized = resized - tf.cast(mean, tf.float32)
        scores = np.asarray(net.predict_on_batch(resized), np.float64)
        total = scores if total is None else total + scores
    return total / len(sizes)

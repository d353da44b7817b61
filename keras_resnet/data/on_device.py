"""Section 4.2's preprocessing and augmentation of a batch as backend-agnostic Keras ops, for a
training step that runs on the device (the in-memory path's counterpart of the tf.data
pipeline's per-image ``transforms``).

``cifar_inputs`` makes uint8 images [0, 1] minus the per-pixel training mean, zero padded to
the target size; ``pad_crop_flip`` draws the 4-pixel pad, random crop and flip from the seed
and each image's place in the training stream alone, so a run repeats to the bit and a resumed
run draws what the uninterrupted one drew.
"""

from __future__ import annotations

import keras
import numpy as np


def cifar_inputs(images, mean, size: int):
    """A batch of uint8 images as the CIFAR pipeline delivers them before augmentation:
    [0, 1] minus the per-pixel ``mean``, zero padded (centred) to ``size`` x ``size``.

    Example:
        >>> x = cifar_inputs(np.full((2, 28, 28, 1), 255, np.uint8), np.zeros((28, 28, 1)), 32)
        >>> tuple(x.shape), float(keras.ops.max(x)), float(x[0, 0, 0, 0])
        ((2, 32, 32, 1), 1.0, 0.0)
    """
    x = keras.ops.cast(images, "float32") / 255.0 - keras.ops.cast(mean, "float32")
    return centre_pad(x, size)


def centre_pad(x, size: int):
    """A batch zero padded (centred) to ``size`` x ``size``, as the tf.data ``pad_to``.

    Example:
        >>> tuple(centre_pad(np.ones((1, 28, 28, 1), "float32"), 32).shape)
        (1, 32, 32, 1)
    """
    height, width = x.shape[1], x.shape[2]
    top, left = (size - height) // 2, (size - width) // 2
    pads = [[0, 0], [top, size - height - top], [left, size - width - left], [0, 0]]
    return keras.ops.pad(x, pads)


def ten_crop_offsets(height, width, size: int) -> list[tuple]:
    """The (top, left) corners of the paper's five crops of ``size`` from a ``height`` x
    ``width`` image: top-left, top-right, bottom-left, bottom-right, centre (``ten_views``
    and the tf.data ``data.ten_crop`` add their mirrors in the same order).

    Example:
        >>> ten_crop_offsets(40, 40, 32)
        [(0, 0), (0, 8), (8, 0), (8, 8), (4, 4)]
    """
    return [(0, 0), (0, width - size), (height - size, 0), (height - size, width - size),
            ((height - size) // 2, (width - size) // 2)]  # fmt: skip


def ten_views(x, size: int):
    """A batch's paper 10 views (4 corners, centre, and their mirrors) after a 4-pixel zero
    pad, as ``data.ten_crop`` makes them per image: (batch * 10, size, size, channels).

    Example:
        >>> tuple(ten_views(np.zeros((2, 32, 32, 1), "float32"), 32).shape)
        (20, 32, 32, 1)
    """
    x = keras.ops.pad(x, [[0, 0], [4, 4], [4, 4], [0, 0]])
    offsets = ten_crop_offsets(x.shape[1], x.shape[2], size)
    crops = [x[:, top : top + size, left : left + size] for top, left in offsets]
    crops += [keras.ops.flip(crop, axis=2) for crop in crops]
    return keras.ops.reshape(keras.ops.stack(crops, axis=1), (-1, size, size, x.shape[-1]))


def _hash(x):
    """A 32-bit integer hash (lowbias32) in int32 Keras ops; right shifts made logical."""

    def shift(v, k):
        return keras.ops.bitwise_and(keras.ops.right_shift(v, k), (1 << (32 - k)) - 1)

    x = keras.ops.bitwise_xor(x, shift(x, 16))
    x = keras.ops.multiply(x, np.int32(0x21F0AAAD))
    x = keras.ops.bitwise_xor(x, shift(x, 15))
    x = keras.ops.multiply(x, np.int32(0xD35A2D97 - (1 << 32)))
    return keras.ops.bitwise_xor(x, shift(x, 15))


def random_bits(seed: int, positions, streams: int):
    """``(len(positions), streams)`` non-negative int32 random numbers (31 bits): row ``i`` is a
    function of (seed, ``positions[i]``) alone, the image's place in the training stream; the
    same on every backend, in or out of a compiled step, however a batch is split on devices.

    Example:
        >>> bits = random_bits(0, np.arange(4), streams=2)
        >>> tuple(bits.shape), bool(keras.ops.all(bits >= 0))
        ((4, 2), True)
    """
    positions = keras.ops.cast(keras.ops.convert_to_tensor(positions), "int32")
    seed = keras.ops.convert_to_tensor(seed, "int32") + np.int32(0x1E3779B9)  # no all-zero row
    base = _hash(positions + _hash(seed))
    stream = keras.ops.arange(streams, dtype="int32")
    mixed = keras.ops.expand_dims(_hash(base), 1) + keras.ops.expand_dims(stream, 0)
    return keras.ops.bitwise_and(_hash(mixed), 0x7FFFFFFF)


def pad_crop_flip(x, seed: int, positions, *, padding: int = 4, flip: bool = True):
    """Section 4.2's augmentation of a batch, as the tf.data pipeline's ``pad_crop_flip`` per
    image: zero-pad by ``padding``, a crop back at an offset uniform in [0, 2 * padding] on
    each axis, a horizontal flip with probability 1/2, drawn from (``seed``, each image's
    place in the training stream, ``positions``). Gathers, not products: every pixel is
    copied exactly, on any device.

    Example:
        >>> out = pad_crop_flip(np.ones((3, 32, 32, 1), "float32"), seed=0, positions=[7, 8, 9])
        >>> tuple(out.shape)
        (3, 32, 32, 1)
    """
    height, width, channels = x.shape[1:]
    batch = keras.ops.shape(x)[0]  # unknown until run in some traced steps
    bits = random_bits(seed, positions, 3)
    offsets = keras.ops.mod(bits[:, :2], 2 * padding + 1)
    padded = keras.ops.pad(x, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
    rows = keras.ops.expand_dims(offsets[:, 0], 1) + keras.ops.arange(height, dtype="int32")
    rows = keras.ops.broadcast_to(
        keras.ops.reshape(rows, (-1, height, 1, 1)),
        (batch, height, width + 2 * padding, channels),
    )
    out = keras.ops.take_along_axis(padded, rows, axis=1)
    cols = keras.ops.expand_dims(offsets[:, 1], 1) + keras.ops.arange(width, dtype="int32")
    cols = keras.ops.broadcast_to(
        keras.ops.reshape(cols, (-1, 1, width, 1)), (batch, height, width, channels)
    )
    out = keras.ops.take_along_axis(out, cols, axis=2)
    if not flip:
        return out
    flips = keras.ops.reshape(keras.ops.mod(bits[:, 2], 2) == 1, (-1, 1, 1, 1))
    return keras.ops.where(flips, keras.ops.flip(out, axis=2), out)


def random_resized_crop_flip(x, seed: int, positions, *, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
    """The ImageNet-style training augmentation of a batch (the transfer-learning recipe's):
    a crop of a random fraction of the area (uniform in ``scale``) and aspect ratio
    (log-uniform in ``ratio``, the crop clipped to the image), resized back to the batch's
    size (bilinear), and a horizontal flip with probability 1/2, drawn from (``seed``, each
    image's place in the training stream, ``positions``), in backend-agnostic Keras ops.

    Example:
        >>> x = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
        >>> out = random_resized_crop_flip(x, 0, [0, 1], scale=(1, 1), ratio=(1, 1))
        >>> [bool(np.allclose(o, i) or np.allclose(o, i[:, ::-1])) for o, i in zip(out, x)]
        [True, True]
    """
    height, width = x.shape[1], x.shape[2]
    raw = random_bits(seed, positions, 5)
    uniform = keras.ops.cast(raw[:, :4], "float32") / float(1 << 31)
    area = scale[0] + uniform[:, 0] * (scale[1] - scale[0])
    log_low, log_high = float(np.log(ratio[0])), float(np.log(ratio[1]))
    aspect = keras.ops.exp(log_low + uniform[:, 1] * (log_high - log_low))
    crop_w = keras.ops.minimum(keras.ops.sqrt(area * aspect), 1.0) * width
    crop_h = keras.ops.minimum(keras.ops.sqrt(area / aspect), 1.0) * height
    left, top = uniform[:, 2] * (width - crop_w), uniform[:, 3] * (height - crop_h)
    step_x, step_y = crop_w / width, crop_h / height
    flip = keras.ops.cast(keras.ops.mod(raw[:, 4], 2) == 1, "float32")  # an int's low bit
    # Output pixel (x, y) samples input (a0 x + a2, b1 y + b2); a flip runs x backwards.
    a0 = step_x * (1.0 - 2.0 * flip)
    a2 = left + flip * step_x * (width - 1)
    zeros = keras.ops.zeros_like(a0)
    transform = keras.ops.stack([a0, zeros, a2, zeros, step_y, top, zeros, zeros], axis=1)
    return keras.ops.image.affine_transform(x, transform, interpolation="bilinear",
                                            fill_mode="nearest")  # fmt: skip

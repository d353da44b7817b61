"""Small datasets held in memory as arrays, and section 4.2's preprocessing and augmentation
as backend-agnostic Keras ops, for a training step that runs on the device.

``arrays`` decodes a split once into uint8 images and int64 labels: from the raw files on disk
without TensorFlow (the IDX files of fashion_mnist and mnist, the binary archives of
cifar10/100; the pickled "python" archives are never read), else from a prepared TFDS
dataset. ``cifar_inputs`` and ``pad_crop_flip`` then do on a batch, in Keras ops, what the
tf.data pipeline does per image: [0, 1] minus the per-pixel training mean, zero padding to the
target size, and the 4-pixel pad, random crop and flip, drawn from ``(seed, step)`` alone.
"""

from __future__ import annotations

import os
import tarfile

import keras
import numpy as np

from keras_resnet.data.files import CIFAR_ARCHIVES, find_idx_files, source_dirs
from keras_resnet.data.idx import read_idx

#: Bytes before each CIFAR image in the binary archives: (label bytes, index of the label).
_CIFAR_LABELS = {"cifar10": (1, 0), "cifar100": (2, 1)}  # cifar100: coarse, then fine
_CIFAR_MEMBERS = {
    "cifar10": {"train": [f"data_batch_{i}.bin" for i in range(1, 6)], "test": ["test_batch.bin"]},
    "cifar100": {"train": ["train.bin"], "test": ["test.bin"]},
}


def _read_cifar(archive: str, name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    label_bytes, label_index = _CIFAR_LABELS[name]
    record = label_bytes + 32 * 32 * 3
    wanted = _CIFAR_MEMBERS[name][split]
    chunks = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            base = os.path.basename(member.name)
            if member.isfile() and base in wanted:
                chunks[base] = tar.extractfile(member).read()  # read, never extracted
    missing = [m for m in wanted if m not in chunks]
    if missing or any(len(chunks[m]) % record for m in wanted):
        raise ValueError(f"{archive!r} is not a CIFAR binary archive (missing or cut: {missing})")
    rows = np.frombuffer(b"".join(chunks[m] for m in wanted), np.uint8).reshape(-1, record)
    images = rows[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), rows[:, label_index].astype(np.int64)


def _from_raw_files(name: str, split: str, data_dir: str | None):
    for directory in source_dirs(name, data_dir):
        if name in ("fashion_mnist", "mnist"):
            files = find_idx_files(directory)
            if files is not None:
                images, labels = (read_idx(path) for path in files[split])
                return images[..., None], labels.astype(np.int64)
        elif name in CIFAR_ARCHIVES:
            archive = os.path.join(directory, CIFAR_ARCHIVES[name][0])
            if os.path.isfile(archive):
                return _read_cifar(archive, name, split)
    return None


def arrays(
    name: str, split: str = "train", *, data_dir: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A split as uint8 images (N, H, W, C) and int64 labels, in the order of its files.

    fashion_mnist, mnist, cifar10 and cifar100 are read from their raw files where they are
    on disk (``$KERAS_RESNET_<NAME>_DIR``, ``<data_dir>/downloads/manual/<name>``, Debian's
    directory), with no TensorFlow; other datasets, or these without raw files, come from
    their prepared TFDS dataset (TensorFlow and tensorflow-datasets needed).

    Example:
        >>> images, labels = arrays("fashion_mnist", "test")  # doctest: +SKIP
        >>> images.shape, images.dtype, labels[:3].tolist()  # doctest: +SKIP
        ((10000, 28, 28, 1), dtype('uint8'), [9, 2, 1])
    """
    if split not in ("train", "test"):
        raise ValueError(f"The `split` argument should be 'train' or 'test'. Received: {split!r}")
    found = _from_raw_files(name, split, data_dir)
    if found is not None:
        return found
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise FileNotFoundError(
            f"No raw files of {name!r} in {source_dirs(name, data_dir)}, and reading it "
            "through tensorflow-datasets needs the [tensorflow] extra: pip install "
            "'keras-resnet-zoo[tensorflow]'."
        ) from None
    from keras_resnet.data.sources import get_builder

    builder = get_builder(name, data_dir)
    images, labels = tfds.as_numpy(builder.as_dataset(split, batch_size=-1, as_supervised=True))
    return images, labels.astype(np.int64)


def pixel_mean(images: np.ndarray) -> np.ndarray:
    """Section 4.2's per-pixel mean (H, W, C), float32 in [0, 1], of uint8 images: the same
    sum in float64 as the tf.data pipeline's, so the same bits.

    Example:
        >>> pixel_mean(np.full((4, 2, 2, 1), 255, np.uint8)).ravel().tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    return (images.astype(np.float64).sum(axis=0) / len(images) / 255.0).astype(np.float32)


def cifar_inputs(images, mean, size: int):
    """A batch of uint8 images as the CIFAR pipeline delivers them before augmentation:
    [0, 1] minus the per-pixel ``mean``, zero padded (centred) to ``size`` x ``size``.

    Example:
        >>> x = cifar_inputs(np.full((2, 28, 28, 1), 255, np.uint8), np.zeros((28, 28, 1)), 32)
        >>> tuple(x.shape), float(keras.ops.max(x)), float(x[0, 0, 0, 0])
        ((2, 32, 32, 1), 1.0, 0.0)
    """
    x = keras.ops.cast(images, "float32") / 255.0 - keras.ops.cast(mean, "float32")
    height, width = x.shape[1], x.shape[2]
    top, left = (size - height) // 2, (size - width) // 2
    pads = [[0, 0], [top, size - height - top], [left, size - width - left], [0, 0]]
    return keras.ops.pad(x, pads)


def _hash(x):
    """A 32-bit integer hash (lowbias32) in int32 Keras ops; right shifts made logical."""

    def shift(v, k):
        return keras.ops.bitwise_and(keras.ops.right_shift(v, k), (1 << (32 - k)) - 1)

    x = keras.ops.bitwise_xor(x, shift(x, 16))
    x = keras.ops.multiply(x, np.int32(0x21F0AAAD))
    x = keras.ops.bitwise_xor(x, shift(x, 15))
    x = keras.ops.multiply(x, np.int32(0xD35A2D97 - (1 << 32)))
    return keras.ops.bitwise_xor(x, shift(x, 15))


def random_bits(seed: int, step, count: int, streams: int):
    """``(count, streams)`` non-negative int32 random numbers (31 bits), a function of
    (seed, step, position) alone: the same on every backend, in or out of a compiled step.

    Example:
        >>> bits = random_bits(0, 5, count=4, streams=2)
        >>> tuple(bits.shape), bool(keras.ops.all(bits >= 0))
        ((4, 2), True)
    """
    base = _hash(keras.ops.cast(step, "int32") + _hash(keras.ops.convert_to_tensor(seed, "int32")))
    index = keras.ops.reshape(keras.ops.arange(count * streams, dtype="int32"), (count, streams))
    return keras.ops.bitwise_and(_hash(keras.ops.bitwise_xor(index, base)), 0x7FFFFFFF)


def pad_crop_flip(x, seed: int, step, *, padding: int = 4, flip: bool = True):
    """Section 4.2's augmentation of a batch, as the tf.data pipeline's ``pad_crop_flip`` per
    image: zero-pad by ``padding``, a crop back at an offset uniform in [0, 2 * padding] on
    each axis, a horizontal flip with probability 1/2, drawn from (``seed``, ``step``).
    Gathers, not products: every pixel is copied exactly, on any device.

    Example:
        >>> out = pad_crop_flip(np.ones((3, 32, 32, 1), "float32"), seed=0, step=7)
        >>> tuple(out.shape)
        (3, 32, 32, 1)
    """
    batch, height, width, channels = x.shape
    bits = random_bits(seed, step, batch, 3)
    offsets = keras.ops.mod(bits[:, :2], 2 * padding + 1)
    padded = keras.ops.pad(x, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
    rows = keras.ops.expand_dims(offsets[:, 0], 1) + keras.ops.arange(height, dtype="int32")
    rows = keras.ops.broadcast_to(
        keras.ops.reshape(rows, (batch, height, 1, 1)),
        (batch, height, width + 2 * padding, channels),
    )
    out = keras.ops.take_along_axis(padded, rows, axis=1)
    cols = keras.ops.expand_dims(offsets[:, 1], 1) + keras.ops.arange(width, dtype="int32")
    cols = keras.ops.broadcast_to(
        keras.ops.reshape(cols, (batch, 1, width, 1)), (batch, height, width, channels)
    )
    out = keras.ops.take_along_axis(out, cols, axis=2)
    if not flip:
        return out
    flips = keras.ops.reshape(keras.ops.mod(bits[:, 2], 2) == 1, (batch, 1, 1, 1))
    return keras.ops.where(flips, keras.ops.flip(out, axis=2), out)

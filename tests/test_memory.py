"""The in-memory data path: the same images as the tf.data path, the same augmentation
statistics, the same random numbers inside a compiled step."""

import io
import tarfile

import keras
import numpy as np
import tensorflow as tf

from keras_resnet.data import memory, on_device, transforms
from keras_resnet.data.pipeline import decoded


def _sorted_rows(images: np.ndarray, labels: np.ndarray):
    keys = [image.tobytes() + bytes([label]) for image, label in zip(images, labels, strict=True)]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return images[order], labels[order]


def test_memory_images_and_labels_equal_the_tfdata_paths(fashion_dir):
    train, _ = memory.arrays("fashion_mnist", "train", data_dir=fashion_dir)
    images, labels = memory.arrays("fashion_mnist", "test", data_dir=fashion_dir)
    assert images.shape == (10_000, 28, 28, 1) and images.dtype == np.uint8
    inputs = np.asarray(on_device.cifar_inputs(images, memory.pixel_mean(train), 32))
    ds, _, _ = decoded("fashion_mnist", "test", data_dir=fashion_dir)
    expected = next(iter(ds.batch(20_000)))
    ours, theirs = _sorted_rows(inputs, labels), _sorted_rows(*map(np.asarray, expected))
    np.testing.assert_array_equal(ours[1], theirs[1])
    np.testing.assert_array_equal(ours[0], theirs[0])  # to the bit: mean, scale, padding


def _coordinates(size: int = 32) -> np.ndarray:
    """An image whose every pixel holds its own (row, column), never 0."""
    y, x = np.mgrid[0:size, 0:size]
    return (y * size + x + 1).astype("float32")[..., None]


def _decode(out: np.ndarray) -> tuple[int, int, bool]:
    """Crop offsets and flip of an augmented ``_coordinates`` image."""
    centre, right = int(out[16, 16, 0]) - 1, int(out[16, 17, 0]) - 1
    flipped = right % 32 < centre % 32
    oy = centre // 32 - 12
    ox = centre % 32 - (11 if flipped else 12)
    return oy, ox, flipped


def test_memory_augmentation_matches_the_tfdata_augmentations_statistics():
    image = _coordinates()
    seeds = tf.data.Dataset.random(seed=0).batch(2).take(2000)
    tf_draws = [_decode(transforms.pad_crop_flip(tf.constant(image), s).numpy()) for s in seeds]
    batch = np.repeat(image[None], 500, axis=0)
    our_draws = [
        _decode(out)
        for step in range(4)
        for out in np.asarray(on_device.pad_crop_flip(batch, 0, np.arange(500) + 500 * step))
    ]
    for draws in (tf_draws, our_draws):
        oy, ox, flips = map(np.array, zip(*draws, strict=True))
        for offsets in (oy, ox):
            counts = np.bincount(offsets, minlength=9)
            assert len(counts) == 9  # offsets 0..8: the 4-pixel pad's whole range
            chi2 = float(np.sum((counts - len(offsets) / 9) ** 2 / (len(offsets) / 9)))
            assert chi2 < 30, counts  # uniform (8 degrees of freedom: p ~ 2e-4)
        assert 0.45 < flips.mean() < 0.55
    without_flip = np.asarray(on_device.pad_crop_flip(batch[:50], 1, np.arange(50), flip=False))
    assert not any(_decode(out)[2] for out in without_flip)


def test_random_bits_are_a_function_of_seed_and_place_also_when_compiled_or_split():
    positions = np.arange(100, 164, dtype="int32")
    eager = np.asarray(on_device.random_bits(3, positions, 3))
    compiled = tf.function(lambda p: on_device.random_bits(3, p, 3))(tf.constant(positions))
    np.testing.assert_array_equal(eager, compiled.numpy())
    halves = [np.asarray(on_device.random_bits(3, half, 3)) for half in np.split(positions, 2)]
    np.testing.assert_array_equal(eager, np.concatenate(halves))  # a batch split on 2 devices
    assert not np.array_equal(eager, np.asarray(on_device.random_bits(3, positions + 1, 3)))
    assert not np.array_equal(eager, np.asarray(on_device.random_bits(4, positions, 3)))
    assert len({tuple(row) for row in eager}) == len(eager)
    out = on_device.pad_crop_flip(keras.ops.ones((2, 8, 8, 3)), 0, [0, 1])
    assert tuple(out.shape) == (2, 8, 8, 3)


def test_cifar_binary_archives_are_read_without_unpacking(tmp_path):
    rng = np.random.default_rng(0)
    records, expected = {}, {}
    for member in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        labels = rng.integers(0, 10, 2, dtype=np.uint8)
        chw = rng.integers(0, 256, (2, 3, 32, 32), dtype=np.uint8)
        records[member] = np.concatenate([labels[:, None], chw.reshape(2, -1)], 1).tobytes()
        expected[member] = (chw.transpose(0, 2, 3, 1), labels)
    manual = tmp_path / "tfds" / "downloads" / "manual" / "cifar10"
    manual.mkdir(parents=True)
    with tarfile.open(manual / "cifar-10-binary.tar.gz", "w:gz") as tar:
        for member, content in records.items():
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{member}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    for split, members in (("train", [f"data_batch_{i}.bin" for i in range(1, 6)]),
                           ("test", ["test_batch.bin"])):  # fmt: skip
        images, labels = memory.arrays("cifar10", split, data_dir=str(tmp_path / "tfds"))
        np.testing.assert_array_equal(images, np.concatenate([expected[m][0] for m in members]))
        np.testing.assert_array_equal(labels, np.concatenate([expected[m][1] for m in members]))
    assert images.shape == (2, 32, 32, 3) and labels.dtype == np.int64


def test_evaluate_and_predict_from_memory_give_the_tfdata_paths_views(fashion_dir):
    from keras_resnet.data import evaluation
    from keras_resnet.recipes.predict import _in_memory_view, _tfds_view

    train, _ = memory.arrays("fashion_mnist", "train", data_dir=fashion_dir)
    images, _ = memory.arrays("fashion_mnist", "test", data_dir=fashion_dir)
    x = on_device.cifar_inputs(images[:3], memory.pixel_mean(train), 32)
    theirs = [evaluation.ten_crop(tf.pad(image, [[4, 4], [4, 4], [0, 0]]), 32) for image in x]
    ours = np.asarray(on_device.ten_views(x, 32))
    np.testing.assert_array_equal(ours, np.concatenate(theirs))  # 10 views per image, in order
    mine, names, channels = _in_memory_view("fashion_mnist", fashion_dir, 32)
    tfds_view, tfds_names, tfds_channels = _tfds_view("fashion_mnist", fashion_dir, 32)
    assert (names, channels) == (tfds_names, tfds_channels) == (names, 1)
    np.testing.assert_array_equal(np.asarray(mine(images[0])), np.asarray(tfds_view(images[0])))
    big = np.random.default_rng(0).integers(0, 256, (40, 30, 1), dtype=np.uint8)
    np.testing.assert_allclose(np.asarray(mine(big)), np.asarray(tfds_view(big)), atol=1e-6)

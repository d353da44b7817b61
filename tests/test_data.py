"""Data pipelines on real Fashion-MNIST (Debian's dataset-fashion-mnist) and small made-up data."""

import warnings

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from helpers import write_hostile_images, write_idx
from PIL import Image

from keras_resnet import data
from keras_resnet.data import transforms
from keras_resnet.data.idx import read_idx


def _all(ds):
    images, labels = zip(*[(x.numpy(), y.numpy()) for x, y in ds], strict=True)
    return np.concatenate(images), np.concatenate(labels)


def test_fashion_mnist_splits_and_classes(fashion_dir):
    info = data.info("fashion_mnist", fashion_dir)
    assert info["splits"] == {"train": 60_000, "test": 10_000}
    assert info["classes"] == 10 and info["class_names"][0] == "T-shirt/top"
    images, labels = _all(data.load("fashion_mnist", "test", batch_size=2000, data_dir=fashion_dir))
    assert images.shape == (10_000, 32, 32, 1) and images.dtype == np.float32
    assert np.bincount(labels).tolist() == [1000] * 10


def test_tfds_itself_loads_the_prepared_data_offline(fashion_dir):
    ds = tfds.load("fashion_mnist", split="train", data_dir=fashion_dir, download=False)
    assert int(ds.cardinality()) == 60_000


def test_mean_subtraction_centres_the_training_split(fashion_dir):
    images, _ = _all(
        data.load("fashion_mnist", "train", batch_size=6000, training=False, data_dir=fashion_dir)
    )
    assert images.shape == (60_000, 32, 32, 1)
    assert np.abs(images.astype(np.float64).mean(axis=0)).max() < 1e-3
    # The 28x28 images sit in the middle of a zero border (2 pixels each side).
    assert np.all(images[:, :2] == 0) and np.all(images[:, :, -2:] == 0)


def test_training_augmentation_pads_crops_and_flips_real_images(fashion_dir):
    plain, labels = _all(
        data.load("fashion_mnist", "test", batch_size=256, training=False, data_dir=fashion_dir)
    )
    augmented, aug_labels = _all(
        data.load(
            "fashion_mnist", "test", batch_size=256, training=True, seed=3,
            shuffle_buffer=1, data_dir=fashion_dir, drop_remainder=False,
        )
    )  # fmt: skip
    np.testing.assert_array_equal(aug_labels, labels)  # order kept with a 1-element buffer
    assert augmented.shape == plain.shape
    changed = [not np.array_equal(a, p) for a, p in zip(augmented[:200], plain[:200], strict=True)]
    assert sum(changed) > 150
    # Every augmented image is a shift by at most 4 pixels (maybe mirrored) of the original.
    for original, view in zip(plain[:20], augmented[:20], strict=True):
        padded = np.pad(original, [(4, 4), (4, 4), (0, 0)])
        views = [
            candidate[dy : dy + 32, dx : dx + 32]
            for candidate in (padded, padded[:, ::-1])
            for dy in range(9)
            for dx in range(9)
        ]
        assert any(np.array_equal(view, v) for v in views)


def test_pipelines_are_deterministic(fashion_dir):
    def first_batches(**kwargs):
        ds = data.load("fashion_mnist", batch_size=64, data_dir=fashion_dir, **kwargs)
        return [x.numpy() for x, _ in ds.take(3)]

    for a, b in zip(first_batches(split="test"), first_batches(split="test"), strict=True):
        np.testing.assert_array_equal(a, b)
    # The training pipeline (shuffle over the whole split, augmentation) on the smaller split.
    seeded = {"split": "test", "training": True}
    for a, b in zip(first_batches(seed=7, **seeded), first_batches(seed=7, **seeded), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(
        first_batches(seed=7, **seeded)[0], first_batches(seed=8, **seeded)[0]
    )


def test_each_epoch_gets_new_augmentations(fashion_dir):
    ds = data.load(
        "fashion_mnist", "test", batch_size=64, training=True, seed=1, data_dir=fashion_dir
    )
    epoch1 = next(iter(ds))[0].numpy()
    epoch2 = next(iter(ds))[0].numpy()
    assert not np.array_equal(epoch1, epoch2)


def test_any_mnist_format_directory_via_the_environment(tmp_path, monkeypatch):
    source = tmp_path / "raw"
    source.mkdir()
    rng = np.random.default_rng(0)
    for stem, count, compress in (("train", 30, True), ("t10k", 10, False)):
        write_idx(source / f"{stem}-images-idx3-ubyte{'.gz' if compress else ''}",
                   rng.integers(0, 256, (count, 28, 28)), compress)  # fmt: skip
        write_idx(source / f"{stem}-labels-idx1-ubyte{'.gz' if compress else ''}",
                   np.arange(count) % 10, compress)  # fmt: skip
    monkeypatch.setenv("KERAS_RESNET_MNIST_DIR", str(source))
    images, labels = _all(
        data.load("mnist", "train", batch_size=8, training=False, data_dir=str(tmp_path / "tfds"))
    )
    assert images.shape == (30, 32, 32, 1)
    assert sorted(labels.tolist()) == sorted((np.arange(30) % 10).tolist())


def test_idx_reader_rejects_truncated_files(tmp_path):
    path = tmp_path / "images-idx3-ubyte"
    write_idx(path, np.zeros((3, 4, 4)), compress=False)
    assert read_idx(path).shape == (3, 4, 4)
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)
    (tmp_path / "x").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "x")


def test_unknown_dataset_and_missing_files(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"`name`.*fashion_mnist.*Received: name='fashoin_mnist'"):
        data.load("fashoin_mnist")
    monkeypatch.setenv("KERAS_RESNET_MNIST_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(data.files, "SYSTEM_DIRS", {})
    with pytest.raises(FileNotFoundError, match=r"not prepared.*download=False.*empty"):
        data.load("mnist", data_dir=str(tmp_path / "tfds"), download=False)
    with pytest.raises(ValueError, match="`batch_size`"):
        data.load("mnist", batch_size=0)


def test_unknown_split_is_named(fashion_dir):
    with pytest.raises(ValueError, match=r"`split`.*'train', 'test'.*Received: split='validation'"):
        data.load("fashion_mnist", "validation", data_dir=fashion_dir)
    ds = data.load("fashion_mnist", "train[:1%]", batch_size=600, data_dir=fashion_dir)
    assert [int(x.shape[0]) for x, _ in ds] == [600]
    stream = {"training": True, "repeat": True, "seed": 0, "data_dir": fashion_dir}
    with pytest.raises(ValueError, match=r"`skip`.*positive integer. Received: skip=-5"):
        data.load("fashion_mnist", "train", skip=-5, **stream)  # tf.data: skip all, forever
    with pytest.raises(ValueError, match=r"`skip` argument needs a repeated, seeded"):
        data.load("fashion_mnist", "train", skip=5, **{**stream, "seed": None})


def test_ten_crop_agrees_with_slicing():
    image = np.random.default_rng(0).normal(size=(7, 9, 3)).astype("float32")
    crops = data.ten_crop(image, size=5).numpy()
    corners = [image[:5, :5], image[:5, 4:], image[2:, :5], image[2:, 4:], image[1:6, 2:7]]
    expected = corners + [c[:, ::-1] for c in corners]
    np.testing.assert_array_equal(crops, np.stack(expected))
    with pytest.raises(ValueError, match="`size`"):
        data.ten_crop(image, size=0)


def test_multiscale_averages_the_fully_convolutional_model_over_scales():
    import keras

    inputs = keras.Input((16, 16, 1))
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs * inputs))
    image = np.arange(8 * 12, dtype="float32").reshape(8, 12, 1) / 100
    got = data.multiscale_predict(model, image, scales=(8, 16), mean=0.5)
    by_hand = []
    for shape in ((8, 12), (16, 24)):
        resized = tf.image.resize(image, shape).numpy() - 0.5
        by_hand.append((resized**2).mean())
    np.testing.assert_allclose(got, [[np.mean(by_hand)]], rtol=1e-5)
    assert data.fully_convolutional(model).input_shape == (None, None, None, 1)
    with pytest.raises(ValueError, match=r"`scales`.*positive integer.*Received: scales=\[0\]"):
        data.multiscale_predict(model, image, scales=[0])


def test_imagenet_transforms_shapes_and_pca_noise():
    image = tf.random.uniform((300, 400, 3), seed=0)
    seed = tf.constant([1, 2], tf.int64)
    assert transforms.imagenet_train(image, seed).shape == (224, 224, 3)
    assert transforms.imagenet_eval(image).shape == (224, 224, 3)
    shifted = transforms.pca_lighting(tf.zeros((2, 2, 3)), seed).numpy()
    assert np.allclose(shifted, shifted[0, 0]) and 0 < np.abs(shifted).max() < 0.2


def test_from_directory_skips_bad_files_and_converts_modes(tmp_path):
    cats, dogs = tmp_path / "cats", tmp_path / "dogs"
    cats.mkdir(), dogs.mkdir()
    Image.new("CMYK", (20, 10), (0, 255, 255, 0)).save(cats / "cmyk.jpg")
    Image.fromarray(np.full((12, 12), 65535, np.uint16)).save(cats / "deep.png")
    Image.new("RGBA", (8, 8), (0, 0, 255, 128)).save(dogs / "rgba.png")
    rotated = Image.new("RGB", (16, 8), (0, 255, 0))
    exif = rotated.getexif()
    exif[0x0112] = 6  # rotate 90 degrees when shown
    rotated.save(dogs / "rotated.jpg", exif=exif)
    (dogs / "corrupt.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (dogs / "notes.png").write_text("hello")
    write_hostile_images(dogs)  # a truncated JPEG and a decompression bomb
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = data.from_directory(str(tmp_path), image_size=16, batch_size=8)
    message = " ".join(str(w.message) for w in caught)
    assert "skipped 4 of 8" in message and "(1 over the decompression-bomb limit)" in message
    assert "truncated.jpg: not a readable image (image file is truncated" in message
    assert ds.class_names == ["cats", "dogs"]
    images, labels = _all(ds)
    assert images.shape == (4, 16, 16, 3) and labels.tolist() == [0, 0, 1, 1]
    np.testing.assert_allclose(images[0].mean(axis=(0, 1)), [1, 0, 0], atol=0.05)  # CMYK red
    np.testing.assert_allclose(images[1], 1.0)  # 16-bit white stays white
    from keras_resnet.data.images import decode_image

    assert decode_image(str(dogs / "rotated.jpg"), 3).shape == (16, 8, 3)  # EXIF applied
    assert decode_image(str(cats / "deep.png"), 1).shape == (12, 12, 1)
    for bad in ({"batch_size": 0}, {"shuffle_buffer": -1}, {"image_size": True}):
        with pytest.raises(ValueError, match=f"`{next(iter(bad))}` argument"):
            data.from_directory(str(tmp_path), **bad)


def _write_cifar_binary(archive, records_per_file=4):
    import io
    import tarfile

    rng = np.random.default_rng(0)
    members = {
        "cifar-10-batches-bin/batches.meta.txt": "\n".join(f"c{i}" for i in range(10)).encode()
    }
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        labels = rng.integers(0, 10, records_per_file, dtype=np.uint8)
        pixels = rng.integers(0, 256, (records_per_file, 3072), dtype=np.uint8)
        members[f"cifar-10-batches-bin/{name}"] = np.column_stack([labels, pixels]).tobytes()
    with tarfile.open(archive, "w:gz") as tar:
        for name, payload in members.items():
            entry = tarfile.TarInfo(name)
            entry.size = len(payload)
            tar.addfile(entry, io.BytesIO(payload))


def test_a_local_cifar10_binary_archive_is_prepared_offline(tmp_path, monkeypatch):
    source = tmp_path / "raw"
    source.mkdir()
    _write_cifar_binary(source / "cifar-10-binary.tar.gz")
    monkeypatch.setenv("KERAS_RESNET_CIFAR10_DIR", str(source))
    data_dir = str(tmp_path / "tfds")
    images, labels = _all(data.load("cifar10", "train", batch_size=5, training=True, seed=0,
                                    data_dir=data_dir, download=False))  # fmt: skip
    assert images.shape == (20, 32, 32, 3) and labels.max() < 10
    assert data.info("cifar10", data_dir)["class_names"] == [f"c{i}" for i in range(10)]


def test_the_pickled_cifar_archive_is_refused(tmp_path, monkeypatch):
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"pickles")
    monkeypatch.setenv("KERAS_RESNET_CIFAR10_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=r"pickles.*cifar-10-binary\.tar\.gz"):
        data.load("cifar10", data_dir=str(tmp_path / "tfds"), download=False)


def test_a_checkpoints_own_preprocessing_by_hand():
    image = np.random.default_rng(0).uniform(0, 1, (40, 50, 3)).astype("float32")
    config = {"mean": (0.5, 0.4, 0.3), "std": (0.2, 0.25, 0.3), "crop_pct": 0.8,
              "interpolation": "bicubic", "input_size": (3, 24, 24)}  # fmt: skip
    got = transforms.checkpoint_eval(image, config).numpy()
    # floor(24 / 0.8) = 30: shorter side 40 -> 30, longer 50 -> 38 (rounded); centre 24 crop.
    resized = tf.image.resize(image, (30, 38), method="bicubic", antialias=True).numpy()
    crop = resized[3:27, 7:31]
    expected = (crop - np.array(config["mean"])) / np.array(config["std"])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="`interpolation`"):
        transforms.checkpoint_eval(image, {"interpolation": "cubic"})
    with pytest.raises(ValueError, match="unknown keys"):
        transforms.checkpoint_eval(image, {"means": (0, 0, 0)})
    with pytest.raises(ValueError, match=r"`crop_pct`.*Received: crop_pct=1.5"):
        transforms.checkpoint_eval(image, {"crop_pct": 1.5})  # a crop bigger than the resize
    with pytest.raises(ValueError, match=r"`std`.*above 0"):
        transforms.checkpoint_eval(image, {"std": [0.2, 0.0, 0.2]})
    assert transforms.checkpoint_eval(image, {**config, "mean": np.array(config["mean"])}).shape


def _example_shuffle_buffer(ds: tf.data.Dataset) -> int:
    """The buffer size of a pipeline's last shuffle (TFDS's file shuffle comes before it),
    read from its dataset graph."""
    graph = tf.compat.v1.GraphDef.FromString(ds._as_serialized_graph().numpy())
    nodes = {node.name: node for node in graph.node}
    return [
        int(tf.make_ndarray(nodes[node.input[1].split(":")[0]].attr["value"].tensor))
        for node in graph.node
        if node.op.startswith("ShuffleDataset")
    ][-1]


def test_cached_training_data_is_shuffled_across_the_whole_split(fashion_dir):
    def buffers(**kwargs):
        return _example_shuffle_buffer(
            data.load("fashion_mnist", "train", batch_size=64, training=True, seed=0,
                      data_dir=fashion_dir, **kwargs)
        )  # fmt: skip

    assert buffers() == 60_000  # every example of the split, each epoch anew
    assert buffers(shuffle_buffer=500) == 500
    assert buffers(cache=False) == 10_000  # uncached (ImageNet-scale) data: a 10k buffer

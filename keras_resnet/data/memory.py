"""Small datasets held in memory as arrays, decoded once (section 4.2's preprocessing and
augmentation of them, on the device, is in ``keras_resnet.data.on_device``).

``arrays`` decodes a split into uint8 images and int64 labels, ``load_in_memory`` both splits
with their class names: from the raw files on disk without TensorFlow (the IDX files of
fashion_mnist and mnist, the binary archives of cifar10/100; the pickled "python" archives are
never read), else from a prepared TFDS dataset.
"""

from __future__ import annotations

import dataclasses
import os
import tarfile
import zlib

import numpy as np

from keras_resnet.data.catalog import CIFAR_STYLE, KNOWN_DATASETS, DatasetDefaults, defaults_for
from keras_resnet.data.files import CIFAR_ARCHIVES, find_idx_files, source_dirs
from keras_resnet.data.idx import read_idx
from keras_resnet.errors import needs_tensorflow

#: The datasets ``load_in_memory`` reads from their raw files (the others need TFDS).
RAW_FILE_DATASETS = ("fashion_mnist", "mnist", "cifar10", "cifar100")
#: Class names of the IDX datasets, as TFDS names them (CIFAR's are in their archives).
IDX_CLASS_NAMES = {
    "fashion_mnist": (
        *("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"),
        *("Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    ),
    "mnist": tuple(str(digit) for digit in range(10)),
}
#: Bytes before each CIFAR image in the binary archives: (label bytes, index of the label).
_CIFAR_LABELS = {"cifar10": (1, 0), "cifar100": (2, 1)}  # cifar100: coarse, then fine
_CIFAR_MEMBERS = {
    "cifar10": {"train": [f"data_batch_{i}.bin" for i in range(1, 6)], "test": ["test_batch.bin"]},
    "cifar100": {"train": ["train.bin"], "test": ["test.bin"]},
}
_CIFAR_NAMES = {"cifar10": "batches.meta.txt", "cifar100": "fine_label_names.txt"}


#: Largest member read from a CIFAR archive: the 50,000 training records of CIFAR-100
#: (153.7 MB); a member declaring more is refused before it is inflated.
_CIFAR_MAX_MEMBER_BYTES = 50_000 * (2 + 32 * 32 * 3)


def _read_cifar_members(archive: str, wanted: list[str]) -> dict[str, bytes]:
    chunks = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                base = os.path.basename(member.name)
                if not (member.isfile() and base in wanted):
                    continue
                if member.size > _CIFAR_MAX_MEMBER_BYTES:
                    raise ValueError(
                        f"{archive!r} declares a member {member.name!r} of {member.size:,} "
                        f"bytes, more than a CIFAR archive holds "
                        f"({_CIFAR_MAX_MEMBER_BYTES:,}): not read."
                    )
                chunks[base] = tar.extractfile(member).read()  # read, never extracted
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        if isinstance(error, FileNotFoundError | PermissionError):
            raise
        raise ValueError(f"{archive!r} is truncated or corrupt: {error}") from None
    return chunks


def _read_cifar(archive: str, name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    label_bytes, label_index = _CIFAR_LABELS[name]
    record = label_bytes + 32 * 32 * 3
    wanted = _CIFAR_MEMBERS[name][split]
    chunks = _read_cifar_members(archive, wanted)
    missing = [m for m in wanted if m not in chunks]
    if missing or any(len(chunks[m]) % record for m in wanted):
        raise ValueError(f"{archive!r} is not a CIFAR binary archive (missing or cut: {missing})")
    rows = np.frombuffer(b"".join(chunks[m] for m in wanted), np.uint8).reshape(-1, record)
    images = rows[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), rows[:, label_index].astype(np.int64)


def _raw_source(name: str, data_dir: str | None) -> str | dict | None:
    """The CIFAR archive, or the IDX files by split, of ``name`` on disk; None if absent."""
    for directory in source_dirs(name, data_dir):
        if name in IDX_CLASS_NAMES:
            files = find_idx_files(directory)
            if files is not None:
                return files
        elif name in CIFAR_ARCHIVES:
            archive = os.path.join(directory, CIFAR_ARCHIVES[name][0])
            if os.path.isfile(archive):
                return archive
    return None


def has_raw_files(name: str, data_dir: str | None = None) -> bool:
    """Whether ``name``'s raw files are on disk (``arrays`` then reads them without TensorFlow).

    Example:
        >>> has_raw_files("imagenet2012")
        False
    """
    return name in RAW_FILE_DATASETS and _raw_source(name, data_dir) is not None


def _from_raw_files(name: str, split: str, data_dir: str | None):
    source = _raw_source(name, data_dir)
    if isinstance(source, dict):
        images_path, labels_path = source[split]
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or labels.ndim != 1:
            raise ValueError(
                f"{images_path!r} and {labels_path!r} hold arrays of shapes {images.shape} "
                f"and {labels.shape}, not (N, height, width) images and (N,) labels"
            )
        labels = labels.astype(np.int64)
        check_split(name, images[..., None], labels, f"{images_path!r} and {labels_path!r}")
        return images[..., None], labels
    if source is not None:
        images, labels = _read_cifar(source, name, split)
        check_split(name, images, labels, repr(source))
        return images, labels
    return None


def check_split(name: str, images: np.ndarray, labels: np.ndarray, source: str) -> None:
    """Refuse a split whose image and label counts differ or whose labels fall outside
    ``name``'s classes, in one line naming ``source`` (its files), before any training.

    Example:
        >>> check_split("mnist", np.zeros((2, 28, 28, 1)), np.array([3, 10]), "'labels'")
        Traceback (most recent call last):
        ...
        ValueError: 'labels' holds label 10 (at index 1): mnist's labels are 0 to 9.
    """
    if len(images) != len(labels):
        raise ValueError(
            f"{source} hold {len(images):,} images but {len(labels):,} labels: "
            "every image needs one label."
        )
    classes = KNOWN_DATASETS[name].classes if name in KNOWN_DATASETS else None
    if classes is None or not len(labels):
        return
    outside = np.flatnonzero((labels < 0) | (labels >= classes))
    if outside.size:
        index = int(outside[0])
        raise ValueError(
            f"{source} holds label {labels[index]} (at index {index}): {name}'s labels are "
            f"0 to {classes - 1}."
        )


def _tfds_builder(name: str, data_dir: str | None):
    try:
        import tensorflow_datasets  # noqa: F401
    except ImportError:
        raise needs_tensorflow(
            f"No raw files of {name!r} in {source_dirs(name, data_dir)}; reading it through "
            "tensorflow-datasets"
        ) from None
    from keras_resnet.data.sources import get_builder

    return get_builder(name, data_dir)


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
    builder = _tfds_builder(name, data_dir)
    import tensorflow_datasets as tfds

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


def class_names(name: str, data_dir: str | None = None) -> tuple[str, ...]:
    """A dataset's class names, as TFDS gives them: from the package (fashion_mnist, mnist),
    the CIFAR binary archive's names file, else the prepared TFDS dataset.

    Example:
        >>> class_names("fashion_mnist")[:2]
        ('T-shirt/top', 'Trouser')
    """
    if name in IDX_CLASS_NAMES:
        return IDX_CLASS_NAMES[name]
    source = _raw_source(name, data_dir)
    if isinstance(source, str):
        text = _read_cifar_members(source, [_CIFAR_NAMES[name]]).get(_CIFAR_NAMES[name], b"")
        names = tuple(line.strip() for line in text.decode("ascii").splitlines() if line.strip())
        if len(names) != KNOWN_DATASETS[name].classes:
            raise ValueError(f"{source!r} lists {len(names)} class names, not {name}'s classes")
        return names
    builder = _tfds_builder(name, data_dir)
    return tuple(builder.info.features[builder.info.supervised_keys[1]].names)


@dataclasses.dataclass(frozen=True)
class InMemoryDataset:
    """Both splits of a small dataset as uint8 images (N, H, W, C) and int64 labels, with its
    class names; ``info()`` says what ``keras_resnet.data.info`` says of it.

    Example:
        >>> ds = load_in_memory("fashion_mnist")  # doctest: +SKIP
        >>> ds.info()["splits"]  # doctest: +SKIP
        {'train': 60000, 'test': 10000}
    """

    name: str
    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    class_names: tuple[str, ...]

    def info(self) -> dict:
        image_shape = tuple(self.train[0].shape[1:])
        return {
            "name": self.name,
            "classes": len(self.class_names),
            "class_names": list(self.class_names),
            "splits": {"train": len(self.train[1]), "test": len(self.test[1])},
            "image_shape": image_shape,
            "defaults": self.defaults,
        }

    @property
    def defaults(self) -> DatasetDefaults:
        return defaults_for(self.name, tuple(self.train[0].shape[1:]))


def load_in_memory(name: str, data_dir: str | None = None) -> InMemoryDataset:
    """Both splits of a dataset whose images get the CIFAR pipeline (section 4.2), decoded
    once into memory (``arrays``), with its class names.

    Example:
        >>> load_in_memory("fashion_mnist").test[0].shape  # doctest: +SKIP
        (10000, 28, 28, 1)
    """
    known = KNOWN_DATASETS.get(name)
    if known is not None and known.style != CIFAR_STYLE:
        raise ValueError(
            f"{name!r} does not fit in memory; use pipeline='tfdata'. The in-memory path "
            f"takes small datasets such as {', '.join(RAW_FILE_DATASETS)}."
        )
    train, test = arrays(name, "train", data_dir=data_dir), arrays(name, "test", data_dir=data_dir)
    if train[0].shape[1:] != test[0].shape[1:]:
        raise ValueError(
            f"The {name!r} dataset's training images are {train[0].shape[1:]} and its test "
            f"images {test[0].shape[1:]} (height, width, channels): both splits must agree "
            f"(files in {source_dirs(name, data_dir)})."
        )
    return InMemoryDataset(
        name=name, train=train, test=test, class_names=class_names(name, data_dir)
    )

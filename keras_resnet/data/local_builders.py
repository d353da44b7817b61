"""TFDS builders that prepare MNIST-format datasets from IDX files already on disk.

TFDS's own ``fashion_mnist`` builder only takes files whose sha256 matches the ones it
registers; Debian's ``dataset-fashion-mnist`` recompresses them, so TFDS rejects them and goes
to the network. These builders inherit everything from TFDS's (name, version, features,
class names) and differ only in reading the IDX files from a manual directory, so the
prepared data is exactly what ``tfds.load("fashion_mnist")`` reads afterwards, offline.
"""

from __future__ import annotations

import os

import tensorflow_datasets as tfds
from tensorflow_datasets.image_classification import mnist as tfds_mnist

from keras_resnet.data.idx import read_idx

#: File stems of each split; ``.gz`` or not.
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def find_idx_files(directory: str) -> dict[str, tuple[str, str]] | None:
    """Map each split to its (images, labels) paths in ``directory``, or None if any is missing.

    Example:
        >>> find_idx_files("/nonexistent") is None
        True
    """
    found = {}
    for split, stems in IDX_FILES.items():
        paths = []
        for stem in stems:
            candidates = [os.path.join(directory, stem + ext) for ext in (".gz", "")]
            existing = [p for p in candidates if os.path.isfile(p)]
            if not existing:
                return None
            paths.append(existing[0])
        found[split] = tuple(paths)
    return found


class _IdxFromManualDir:
    """Mixin: read the four IDX files from ``dl_manager.manual_dir``."""

    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Put train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
        "t10k-labels-idx1-ubyte (each optionally .gz) in the manual directory."
    )

    def _split_generators(self, dl_manager):
        files = find_idx_files(os.fspath(dl_manager.manual_dir))
        if files is None:
            raise FileNotFoundError(
                f"No IDX files in {dl_manager.manual_dir}. {self.MANUAL_DOWNLOAD_INSTRUCTIONS}"
            )
        return {split: self._generate_examples(*paths) for split, paths in files.items()}

    def _generate_examples(self, images_path, labels_path):
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"{images_path} holds images of shape {images.shape} but {labels_path} holds "
                f"{labels.shape[0]} labels"
            )
        for index, (image, label) in enumerate(zip(images, labels, strict=True)):
            yield index, {"image": image[..., None], "label": int(label)}


class LocalFashionMNIST(_IdxFromManualDir, tfds_mnist.FashionMNIST, skip_registration=True):
    """TFDS's ``fashion_mnist`` prepared from local IDX files."""

    name = "fashion_mnist"


class LocalMNIST(_IdxFromManualDir, tfds_mnist.MNIST, skip_registration=True):
    """TFDS's ``mnist`` prepared from local IDX files."""

    name = "mnist"


LOCAL_BUILDERS = {"fashion_mnist": LocalFashionMNIST, "mnist": LocalMNIST}

#: Where Debian's packages put the IDX files (``apt-get install dataset-fashion-mnist``).
SYSTEM_DIRS = {
    "fashion_mnist": "/usr/share/datasets/fashion-mnist",
    "mnist": "/usr/share/datasets/mnist",
}


def prepare_from_idx(
    name: str, source_dir: str, data_dir: str | None = None
) -> tfds.core.DatasetBuilder:
    """Prepare TFDS dataset ``name`` ("fashion_mnist" or "mnist") from IDX files in ``source_dir``.

    Example:
        >>> builder = prepare_from_idx("fashion_mnist", "/usr/share/datasets/fashion-mnist",
        ...                            data_dir="/tmp/tfds")  # doctest: +SKIP
        >>> builder.info.splits["test"].num_examples  # doctest: +SKIP
        10000
    """
    builder = LOCAL_BUILDERS[name](data_dir=data_dir)
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=source_dir)
    )
    return builder

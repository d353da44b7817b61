"""TFDS builders that prepare datasets from files already on disk, with no network.

TFDS's own ``fashion_mnist`` builder only takes files whose sha256 matches the ones it
registers; Debian's ``dataset-fashion-mnist`` recompresses them, so TFDS rejects them and goes
to the network. These builders inherit everything from TFDS's (name, version, features,
class names) and differ only in reading the raw files from a manual directory, so the
prepared data is exactly what ``tfds.load("fashion_mnist")`` reads afterwards, offline.

Sources: the four MNIST-format IDX files (``.gz`` or not) for fashion_mnist and mnist; the
binary CIFAR archives ``cifar-10-binary.tar.gz`` / ``cifar-100-binary.tar.gz``. The CIFAR
"python" archives hold pickles, which keras_resnet never loads.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator

import tensorflow_datasets as tfds
from tensorflow_datasets.image_classification import cifar as tfds_cifar
from tensorflow_datasets.image_classification import mnist as tfds_mnist

from keras_resnet.data.files import CIFAR_ARCHIVES, find_idx_files
from keras_resnet.data.idx import read_idx


class _IdxFromManualDir:
    """Mixin: read the four IDX files from ``dl_manager.manual_dir``."""

    @classmethod
    def has_sources(cls, directory: str) -> bool:
        return find_idx_files(directory) is not None

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
    """TFDS's ``fashion_mnist`` prepared from local IDX files.

    Example:
        >>> LocalFashionMNIST.name, str(LocalFashionMNIST.VERSION)
        ('fashion_mnist', '3.0.1')
    """

    name = "fashion_mnist"


class LocalMNIST(_IdxFromManualDir, tfds_mnist.MNIST, skip_registration=True):
    """TFDS's ``mnist`` prepared from local IDX files.

    Example:
        >>> LocalMNIST.has_sources("/nonexistent")
        False
    """

    name = "mnist"


class _LocalArchive:
    """Stands in for TFDS's download manager: "downloading" extracts a local archive."""

    def __init__(self, dl_manager, archive: str):
        self._dl_manager, self._archive = dl_manager, archive

    def download_and_extract(self, url):
        return self._dl_manager.extract(self._archive)


class _CifarFromManualDir:
    """Mixin: extract ``ARCHIVE`` from the manual directory instead of downloading it."""

    ARCHIVE = ""
    PICKLED_ARCHIVE = ""

    @classmethod
    def has_sources(cls, directory: str) -> bool:
        if os.path.isfile(os.path.join(directory, cls.ARCHIVE)):
            return True
        if os.path.isfile(os.path.join(directory, cls.PICKLED_ARCHIVE)):
            raise ValueError(
                f"{cls.PICKLED_ARCHIVE} in {directory} holds Python pickles, which keras_resnet "
                f"never loads (they can run arbitrary code). Put {cls.ARCHIVE} (the binary "
                "version, from the same CIFAR page) there instead."
            )
        return False

    def _split_generators(self, dl_manager):
        archive = os.path.join(os.fspath(dl_manager.manual_dir), self.ARCHIVE)
        return super()._split_generators(_LocalArchive(dl_manager, archive))


class LocalCifar10(_CifarFromManualDir, tfds_cifar.Cifar10, skip_registration=True):
    """TFDS's ``cifar10`` prepared from a local ``cifar-10-binary.tar.gz``.

    Example:
        >>> LocalCifar10.ARCHIVE
        'cifar-10-binary.tar.gz'
    """

    name = "cifar10"
    ARCHIVE, PICKLED_ARCHIVE = CIFAR_ARCHIVES["cifar10"]
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"Put {ARCHIVE} in the manual directory."


class LocalCifar100(_CifarFromManualDir, tfds_cifar.Cifar100, skip_registration=True):
    """TFDS's ``cifar100`` prepared from a local ``cifar-100-binary.tar.gz``.

    Example:
        >>> LocalCifar100.has_sources("/nonexistent")
        False
    """

    name = "cifar100"
    ARCHIVE, PICKLED_ARCHIVE = CIFAR_ARCHIVES["cifar100"]
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"Put {ARCHIVE} in the manual directory."


LOCAL_BUILDERS = {
    "fashion_mnist": LocalFashionMNIST,
    "mnist": LocalMNIST,
    "cifar10": LocalCifar10,
    "cifar100": LocalCifar100,
}


def prepare_local(
    name: str, source_dir: str, data_dir: str | None = None
) -> tfds.core.DatasetBuilder:
    """Prepare TFDS dataset ``name`` (a key of LOCAL_BUILDERS) from raw files in ``source_dir``.

    Example:
        >>> builder = prepare_local("fashion_mnist", "/usr/share/datasets/fashion-mnist",
        ...                         data_dir="/tmp/tfds")  # doctest: +SKIP
        >>> builder.info.splits["test"].num_examples  # doctest: +SKIP
        10000
    """
    print(f"Preparing {name} from {source_dir} (once)...", file=sys.stderr, flush=True)
    with quiet_tfds():
        builder = LOCAL_BUILDERS[name](data_dir=data_dir)
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=source_dir)
        )
    return builder


@contextlib.contextmanager
def quiet_tfds() -> Iterator[None]:
    """Inside the block TFDS prints nothing: its notes on a dataset not yet prepared ("has no
    dataset_info.json", "Downloading and preparing dataset Unknown size") and its progress
    bars say nothing to someone preparing local files (errors still raise).

    Example:
        >>> with quiet_tfds():
        ...     print("hidden")
    """
    from absl import logging as absl_logging
    from tensorflow_datasets.core.utils import tqdm_utils

    verbosity, bars = absl_logging.get_verbosity(), tqdm_utils._active
    absl_logging.set_verbosity(absl_logging.ERROR)
    tqdm_utils.display_progress_bar(False)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        absl_logging.set_verbosity(verbosity)
        tqdm_utils.display_progress_bar(bars)

"""Where a dataset's raw files are looked for on disk, and what they are called (no
TensorFlow: the in-memory path reads them directly, the TFDS builders prepare from them).

Example:
    >>> source_dirs("mnist", "/data")[0]
    '/data/downloads/manual/mnist'
"""

from __future__ import annotations

import os

#: Environment variable naming a directory with a dataset's raw files, e.g.
#: KERAS_RESNET_FASHION_MNIST_DIR=/data/fashion-mnist.
SOURCE_DIR_ENV = "KERAS_RESNET_{NAME}_DIR"

#: Where Debian's packages put the IDX files (``apt-get install dataset-fashion-mnist``).
SYSTEM_DIRS = {
    "fashion_mnist": "/usr/share/datasets/fashion-mnist",
    "mnist": "/usr/share/datasets/mnist",
}

#: The Debian package that installs a dataset's raw files into ``SYSTEM_DIRS``.
DEBIAN_PACKAGES = {"fashion_mnist": "dataset-fashion-mnist"}

#: File stems of each split of an IDX dataset (fashion_mnist, mnist); ``.gz`` or not.
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

#: The CIFAR archive read (binary records) and the one refused (Python pickles).
CIFAR_ARCHIVES = {
    "cifar10": ("cifar-10-binary.tar.gz", "cifar-10-python.tar.gz"),
    "cifar100": ("cifar-100-binary.tar.gz", "cifar-100-python.tar.gz"),
}


def source_dirs(name: str, data_dir: str | None) -> list[str]:
    """Directories searched for a dataset's raw files, in order.

    Example:
        >>> source_dirs("fashion_mnist", "/data")[-1]
        '/usr/share/datasets/fashion-mnist'
    """
    dirs = []
    env = os.environ.get(SOURCE_DIR_ENV.format(NAME=name.upper()))
    if env:
        dirs.append(env)
    root = data_dir or os.path.expanduser(os.environ.get("TFDS_DATA_DIR", "~/tensorflow_datasets"))
    dirs.append(os.path.join(root, "downloads", "manual", name))
    if name in SYSTEM_DIRS:
        dirs.append(SYSTEM_DIRS[name])
    return dirs


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

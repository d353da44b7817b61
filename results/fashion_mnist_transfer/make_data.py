"""Fashion-MNIST (the Debian package's IDX files) cut into a transfer experiment:

- ``pretrain/``: IDX files of classes 0-4 only (T-shirt/top, Trouser, Pullover, Dress, Coat),
  train and test splits, for ``keras-resnet train`` (KERAS_RESNET_FASHION_MNIST_DIR=pretrain);
- ``target20/`` and ``target100/``: class-per-folder PNG trees of 20 and 100 training images
  of each of classes 5-9 (Sandal, Shirt, Sneaker, Bag, Ankle boot), the 20 a subset of the
  100, chosen with numpy seed 0;
- ``target_test/``: the test split's 5,000 images of classes 5-9, as a PNG tree.

    python make_data.py OUT_DIR
"""

from __future__ import annotations

import gzip
import os
import struct
import sys

import numpy as np
from PIL import Image

from keras_resnet.data.files import SYSTEM_DIRS, find_idx_files
from keras_resnet.data.idx import read_idx

NAMES = ("t-shirt_top", "trouser", "pullover", "dress", "coat",
         "sandal", "shirt", "sneaker", "bag", "ankle_boot")  # fmt: skip
SOURCE, TARGET = range(5), range(5, 10)


def write_idx(path: str, array: np.ndarray) -> None:
    """An IDX file (gzip) of a uint8 array, as the originals are laid out."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + np.ascontiguousarray(array, np.uint8).tobytes())


def write_tree(root: str, images: np.ndarray, labels: np.ndarray, chosen) -> None:
    for index in chosen:
        folder = os.path.join(root, NAMES[labels[index]])
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(images[index], mode="L").save(os.path.join(folder, f"{index:05d}.png"))


def main(out: str) -> None:
    files = find_idx_files(SYSTEM_DIRS["fashion_mnist"])
    split = {name: tuple(read_idx(p) for p in paths) for name, paths in files.items()}
    os.makedirs(os.path.join(out, "pretrain"), exist_ok=True)
    for name, (images, labels) in split.items():
        keep = np.isin(labels, SOURCE)
        stems = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                 "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}[name]  # fmt: skip
        write_idx(os.path.join(out, "pretrain", stems[0] + ".gz"), images[keep])
        write_idx(os.path.join(out, "pretrain", stems[1] + ".gz"), labels[keep])
    images, labels = split["train"]
    rng = np.random.default_rng(0)
    picked = {c: rng.permutation(np.flatnonzero(labels == c))[:100] for c in TARGET}
    for count in (20, 100):
        chosen = [i for c in TARGET for i in picked[c][:count]]
        write_tree(os.path.join(out, f"target{count}"), images, labels, chosen)
    images, labels = split["test"]
    write_tree(os.path.join(out, "target_test"), images, labels, np.flatnonzero(labels >= 5))


if __name__ == "__main__":
    main(sys.argv[1])

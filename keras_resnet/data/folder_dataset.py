"""A user's image files as a ``keras.utils.PyDataset``: decoded with Pillow in worker threads
(or processes), no TensorFlow, on every Keras backend. Batches are ``(uint8 images at one
size, int32 positions), int32 labels``, a position being the image's place in the training
stream (what the augmentation is drawn from, as in the in-memory path); the scaling to
[0, 1] and the augmentation (random resized crop, flip) are left to the compiled step
(``recipes.transfer.AugmentFolderBatches``; ``bench/folder_loading.py``: scaling a batch in
the worker cost as much as decoding it). JPEGs are decoded at a reduced scale
where the size allows (Pillow's ``draft``).

Example:
    >>> import tempfile
    >>> from PIL import Image
    >>> folder = tempfile.mkdtemp()
    >>> files = [os.path.join(folder, f"{i}.png") for i in range(3)]
    >>> for file in files:
    ...     Image.new("RGB", (40, 30)).save(file)
    >>> batches = FolderImages(files, [0, 1, 0], image_size=32, batch_size=2)
    >>> (images, positions), labels = batches[1]
    >>> len(batches), images.shape, images.dtype, positions.tolist(), labels.tolist()
    (2, (1, 32, 32, 3), dtype('uint8'), [2], [0])
"""

from __future__ import annotations

import math
import os

import keras
import numpy as np

from keras_resnet.data.feed import step_feed
from keras_resnet.data.folder_split import FolderSplit
from keras_resnet.data.images import MODES, decode_image
from keras_resnet.vocabulary import check_choice, check_positive


class FolderImages(keras.utils.PyDataset):
    """Batches ``(images, positions), labels`` of ``files`` (uint8 images resized to
    ``image_size``; each image's place in the stream, ``epoch * len(files)`` plus its place in
    the epoch; int32 ``labels``), in
    a seeded order that changes each epoch when ``shuffle``: epoch ``e``'s order is a function
    of ``seed`` and ``e`` alone, so a run resumed at epoch ``e`` (``epoch``
    set to it) reads what an uninterrupted one would. ``fit`` moves to the next epoch's order
    at each epoch's start after the first. ``workers`` decode batches in parallel
    (threads, or processes with ``use_multiprocessing``).

    Example:
        >>> FolderImages([], [], image_size=0)
        Traceback (most recent call last):
        ...
        ValueError: The `image_size` argument should be a positive int. Received: image_size=0
    """

    def __init__(
        self,
        files: list[str],
        labels: list[int],
        *,
        image_size: int,
        channels: int = 3,
        batch_size: int = 32,
        shuffle: bool = False,
        seed: int = 0,
        epoch: int = 0,
        workers: int = 1,
        use_multiprocessing: bool = False,
        max_queue_size: int = 10,
    ):
        super().__init__(workers=workers, use_multiprocessing=use_multiprocessing,
                         max_queue_size=max_queue_size)  # fmt: skip
        if type(image_size) is not int or image_size < 1:
            raise ValueError(
                "The `image_size` argument should be a positive int. "
                f"Received: image_size={image_size!r}"
            )
        check_choice("channels", channels, MODES)
        check_positive("batch_size", batch_size, allow_none=False)
        if len(files) != len(labels):
            raise ValueError(f"{len(files)} files but {len(labels)} labels: one label per file.")
        self.files, self.labels = [os.fspath(f) for f in files], np.asarray(labels, np.int32)
        self.image_size, self.channels, self.batch_size = image_size, channels, batch_size
        self.shuffle, self.seed, self.epoch = shuffle, seed, epoch
        self._begun = False

    def __len__(self) -> int:
        return math.ceil(len(self.files) / self.batch_size)

    def order(self, epoch: int | None = None) -> np.ndarray:
        """The files' order in ``epoch`` (default: the current one)."""
        if not self.shuffle:
            return np.arange(len(self.files))
        epoch = self.epoch if epoch is None else epoch
        return np.random.default_rng([self.seed, epoch]).permutation(len(self.files))

    def __getitem__(self, index: int) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
        return self.read(self.epoch, index)

    def read(self, epoch: int, index: int) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
        """Batch ``index`` of epoch ``epoch``: a function of the two alone (and the files,
        the seed), whatever the current epoch.

        Example:
            >>> batches = FolderImages(["a.png"] * 5, [0] * 5, image_size=8, batch_size=2)
            >>> batches.read(3, 3)
            Traceback (most recent call last):
            ...
            IndexError: batch 3 of 3
        """
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        start = index * self.batch_size
        chosen = self.order(epoch)[start : start + self.batch_size]
        size = (self.image_size, self.image_size)
        images = [decode_image(self.files[i], self.channels, size, draft=True) for i in chosen]
        first = epoch * len(self.files) + start
        positions = np.arange(first, first + len(chosen), dtype=np.int32)
        return (np.stack(images), positions), self.labels[chosen]

    def start_at(self, epoch: int) -> None:
        """Read epoch ``epoch``'s order at the next ``fit``'s first epoch (a resumed run, or
        the next phase of one)."""
        self.epoch, self._begun = int(epoch), False

    def on_epoch_begin(self) -> None:
        # Counted here: Keras also calls on_epoch_end when it merely resets its iterator.
        if self._begun:
            self.epoch += 1
        self._begun = True


def fit_feed(images: FolderImages, *, first_epoch: int = 0, repeat: bool = True):
    """What ``fit`` reads ``images`` through, from epoch ``first_epoch`` on (one epoch when
    not ``repeat``): the PyDataset itself (its workers decoding) on JAX and PyTorch; on
    TensorFlow ``data.feed.step_feed`` over ``images.read``, ``images.workers`` batches at a
    time (Keras' ``from_generator`` wrapping of a PyDataset slowed the training step itself
    by a third). A repeated feed is endless: pass ``steps_per_epoch=len(images)``.

    Example:
        >>> import tempfile
        >>> from PIL import Image
        >>> file = os.path.join(tempfile.mkdtemp(), "a.png")
        >>> Image.new("RGB", (8, 8)).save(file)
        >>> feed = fit_feed(FolderImages([file] * 3, [0, 1, 2], image_size=4, batch_size=2),
        ...                 first_epoch=1, repeat=False)
        >>> [np.asarray(labels).tolist() for _, labels in feed]
        [[0, 1], [2]]
    """
    if keras.backend.backend() != "tensorflow":
        images.start_at(first_epoch)
        return images
    per_epoch = len(images)
    first = first_epoch * per_epoch
    return step_feed(lambda step: images.read(step // per_epoch, step % per_epoch), first,
                     None if repeat else first + per_epoch, parallel=images.workers)  # fmt: skip


def split_images(
    split: FolderSplit,
    *,
    image_size: int,
    channels: int = 3,
    batch_size: int = 32,
    seed: int = 0,
    epoch: int = 0,
    workers: int = 1,
) -> tuple[FolderImages, FolderImages | None]:
    """The training batches (shuffled, epoch ``epoch`` first) and the held-out batches (in
    order; None without a held-out part) of ``split`` (whose files ``split_folder`` checked).

    Example:
        >>> from keras_resnet.data.folder_split import split_folder
        >>> train, held_out = split_images(split_folder("photos"), image_size=160)  # doctest: +SKIP
    """
    parts = []
    for part, shuffle in (("training", True), ("validation", False)):
        files, labels = split.files(part)
        if not files:
            parts.append(None)
            continue
        parts.append(FolderImages(files, labels, image_size=image_size, channels=channels,
                                  batch_size=batch_size, shuffle=shuffle, seed=seed,
                                  epoch=epoch, workers=workers))  # fmt: skip
    return parts[0], parts[1]

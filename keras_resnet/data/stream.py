"""The training stream of a dataset held in memory: a seeded permutation per pass, cut into
batches, each image tagged with its place in the stream (which seeds its augmentation).

Where a batch comes from depends only on (seed, step): a run resumed at step ``s`` sees what
the uninterrupted run saw from step ``s`` on, with nothing read and thrown away.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class TrainingStream:
    """Endless batches ``((images, positions), labels)`` of ``images`` and ``labels``, from
    ``start_step`` on: pass ``p`` over the data visits it in ``permutation(seed, p)``;
    ``positions`` are the images' int32 places in the stream (step * batch_size + i).

    Example:
        >>> images, labels = np.zeros((10, 2, 2, 1), np.uint8), np.arange(10)
        >>> stream = TrainingStream(images, labels, batch_size=4, seed=0)
        >>> (x, positions), y = next(iter(stream))
        >>> positions.tolist(), sorted(set(y.tolist())) == sorted(y.tolist())
        ([0, 1, 2, 3], True)
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, *, batch_size: int, seed: int,
                 start_step: int = 0, classes: int | None = None):  # fmt: skip
        self.images, self.labels = images, labels
        self.batch_size, self.seed, self.start_step = batch_size, seed, start_step
        self.classes = classes  # one-hot labels (label smoothing) when given
        self._orders: dict[int, np.ndarray] = {}

    def permutation(self, index: int) -> np.ndarray:
        """The order of pass ``index`` over the data."""
        if index not in self._orders:
            if len(self._orders) > 2:
                self._orders.pop(min(self._orders))
            rng = np.random.default_rng([self.seed, index])
            self._orders[index] = rng.permutation(len(self.labels))
        return self._orders[index]

    def batch(self, step: int):
        """The batch of training step ``step``."""
        positions = np.arange(step * self.batch_size, (step + 1) * self.batch_size)
        count = len(self.labels)
        indices = np.concatenate([
            self.permutation(index)[positions[passes == index] % count]
            for passes in [positions // count]
            for index in np.unique(passes)
        ])  # fmt: skip
        labels = self.labels[indices]
        if self.classes is not None:
            labels = np.eye(self.classes, dtype="float32")[labels]
        wrapped = (positions % (1 << 31)).astype(np.int32)
        return (self.images[indices], wrapped), labels

    def __iter__(self) -> Iterator:
        step = self.start_step
        while True:
            yield self.batch(step)
            step += 1

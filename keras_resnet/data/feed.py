"""What ``fit`` reads numbered batches through: a batch function of the step, ``batch_at(step)``,
fed as each backend reads it fastest. On TensorFlow that is a tf.data pipeline calling it step
by step (``Dataset.range`` mapped through ``numpy_function``), not the
``Dataset.from_generator`` Keras wraps a Python generator or a ``PyDataset`` in: fed from a
generator, the same model's training step itself ran 1.5-1.65x slower on an AMD EPYC VM
(ResNet-50 fine-tuning, ResNet-20 on Fashion-MNIST; docs/benchmarks.md), also once the
generator was no longer called. JAX and PyTorch read a Python generator directly.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import keras
import numpy as np

#: Where an endless feed's step range ends on TensorFlow (never reached).
_ENDLESS = 1 << 62


def step_feed(batch_at: Callable[[int], tuple], first: int = 0, stop: int | None = None, *,
              parallel: int = 1):  # fmt: skip
    """``batch_at(first)``, ``batch_at(first + 1)``, ... up to ``stop`` (endless without; then
    pass ``steps_per_epoch`` to ``fit``), as ``fit`` reads them fastest on this backend; on
    TensorFlow ``parallel`` batches are made at a time (in order). Each batch is a nest of NumPy
    arrays whose first axis is the batch.

    Example:
        >>> batches = step_feed(lambda step: (np.full((2, 3), step, "uint8"), np.arange(2)),
        ...                     first=5, stop=7)
        >>> [int(np.asarray(x)[0, 0]) for x, _ in batches]
        [5, 6]
    """
    if keras.backend.backend() != "tensorflow":
        steps = itertools.count(first) if stop is None else range(first, stop)
        return (batch_at(step) for step in steps)
    import tensorflow as tf

    example = batch_at(first)
    specs = [tf.TensorSpec((None, *np.shape(a)[1:]), np.asarray(a).dtype)
             for a in tf.nest.flatten(example)]  # fmt: skip

    def call(step):
        return [np.asarray(a) for a in tf.nest.flatten(batch_at(int(step)))]

    def batch(step):
        arrays = tf.numpy_function(call, [step], [s.dtype for s in specs], stateful=False)
        for array, spec in zip(arrays, specs, strict=True):
            array.set_shape(spec.shape)
        return tf.nest.pack_sequence_as(example, arrays)

    steps = tf.data.Dataset.range(first, _ENDLESS if stop is None else stop)
    return steps.map(batch, num_parallel_calls=parallel, deterministic=True).prefetch(1)

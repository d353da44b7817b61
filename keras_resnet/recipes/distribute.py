"""Pick a distribution strategy from a name or an object.

On the TensorFlow backend a ``tf.distribute`` strategy; on JAX, ``"mirrored"`` is Keras' own
``keras.distribution.DataParallel`` over the local devices (the JAX counterpart of
MirroredStrategy); the PyTorch backend trains on one device only.
"""

from __future__ import annotations

import contextlib
import json
import os

import keras

STRATEGIES = ("mirrored", "multiworker", "tpu")
#: The strategy names each Keras backend supports (None, one device, everywhere).
BACKEND_STRATEGIES = {"tensorflow": STRATEGIES, "jax": ("mirrored",), "torch": ()}


class OneDevice:
    """The default strategy off TensorFlow: one device, nothing to distribute.

    Example:
        >>> OneDevice().num_replicas_in_sync
        1
    """

    num_replicas_in_sync = 1

    def scope(self):
        return contextlib.nullcontext()


class DataParallelStrategy:
    """``keras.distribution.DataParallel`` where ``recipes.train`` expects a strategy: its
    ``scope()`` (Keras shards each global batch over the devices itself) and
    ``num_replicas_in_sync``.

    Example:
        >>> DataParallelStrategy().num_replicas_in_sync >= 1  # doctest: +SKIP
        True
    """

    def __init__(self, devices=None):
        devices = devices or keras.distribution.list_devices()
        self.distribution = keras.distribution.DataParallel(devices=devices)
        self.num_replicas_in_sync = len(devices)

    def scope(self):
        return self.distribution.scope()


def resolve_strategy(strategy):
    """A strategy object for ``strategy``: None (the default), a name, or a strategy.

    ``"mirrored"``: every local GPU (or CPU device); ``"multiworker"``: the cluster in
    ``TF_CONFIG``; ``"tpu"``: the TPU the resolver finds. On the JAX backend ``"mirrored"``
    gives a ``DataParallelStrategy``; names a backend lacks (``BACKEND_STRATEGIES``) are
    refused by name.

    Example:
        >>> resolve_strategy(None).num_replicas_in_sync
        1
    """
    backend = keras.backend.backend()
    if isinstance(strategy, DataParallelStrategy | OneDevice) or _is_tf_strategy(strategy):
        return strategy
    if strategy is None:
        return _tf().distribute.get_strategy() if backend == "tensorflow" else OneDevice()
    if strategy in STRATEGIES and strategy not in BACKEND_STRATEGIES.get(backend, ()):
        allowed = ", ".join(repr(name) for name in (None, *BACKEND_STRATEGIES.get(backend, ())))
        raise ValueError(
            f"strategy={strategy!r} is not available on the {backend} backend of Keras, where "
            f"the `strategy` argument should be one of {allowed} (None: one device). The "
            f"TensorFlow backend takes {STRATEGIES} or a tf.distribute.Strategy."
        )
    if backend == "jax":
        return DataParallelStrategy()
    tf = _tf()
    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if strategy == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError(
                "strategy='multiworker' needs the cluster in the TF_CONFIG environment variable"
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    if strategy == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(
        f"The `strategy` argument should be None, a tf.distribute.Strategy or one of "
        f"{STRATEGIES}. Received: strategy={strategy!r}"
    )


def _tf():
    import tensorflow as tf

    return tf


def _is_tf_strategy(strategy) -> bool:
    """Whether ``strategy`` is a ``tf.distribute.Strategy`` (never imports TensorFlow)."""
    return any(
        kind.__module__.startswith("tensorflow") and kind.__name__.endswith("Strategy")
        for kind in type(strategy).__mro__
    )


def is_multiworker(strategy) -> bool:
    """Whether ``strategy`` is a ``tf.distribute.MultiWorkerMirroredStrategy``.

    Example:
        >>> is_multiworker(OneDevice())
        False
    """
    return _is_tf_strategy(strategy) and isinstance(
        strategy, _tf().distribute.MultiWorkerMirroredStrategy
    )


def is_chief() -> bool:
    """Whether this process writes outputs (the chief, or worker 0 without a chief).

    Example:
        >>> is_chief()
        True
    """
    config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    task = config.get("task", {})
    if not task:
        return True
    cluster = config.get("cluster", {})
    if "chief" in cluster:
        return task.get("type") == "chief"
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0


def patch_for_multiworker(model: keras.Model, strategy, batch) -> None:
    """Work around keras-team/keras#20585: Keras 3 fit() under MultiWorkerMirroredStrategy.

    Two steps of Keras' TF trainer fail with several workers: (1) before the first step,
    fit() averages a distributed (x, y) batch with ``strategy.reduce`` on the tuple, which the
    collective reduce cannot take; (2) each step's scalar logs are reduced across workers with
    ``axis=0``, which a scalar lacks. So: build the compiled loss and metrics from a local
    batch and skip (1), and give the logs a leading axis of one for (2), so the cross-worker
    mean yields the same scalars.

    Example:
        >>> patch_for_multiworker(model, strategy, next(iter(dataset)))  # doctest: +SKIP
    """
    with strategy.scope():
        model._symbolic_build(data_batch=batch)
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None

    def with_leading_axis(step):
        def wrapped(data):
            logs = step(data)
            return {
                k: keras.ops.reshape(v, (1,)) if len(v.shape) == 0 else v for k, v in logs.items()
            }

        return wrapped

    model.train_step = with_leading_axis(model.train_step)
    model.test_step = with_leading_axis(model.test_step)

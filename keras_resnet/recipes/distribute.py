"""Pick a tf.distribute strategy from a name or an object."""

from __future__ import annotations

import json
import os

import tensorflow as tf

STRATEGIES = ("mirrored", "multiworker", "tpu")


def resolve_strategy(strategy) -> tf.distribute.Strategy:
    """A strategy object for ``strategy``: None (the default), a name, or a strategy.

    ``"mirrored"``: every local GPU (or CPU device); ``"multiworker"``: the cluster in
    ``TF_CONFIG``; ``"tpu"``: the TPU the resolver finds.

    Example:
        >>> resolve_strategy(None).num_replicas_in_sync
        1
    """
    if strategy is None:
        return tf.distribute.get_strategy()
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
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

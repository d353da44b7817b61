"""What a run sets for its process: Keras' dtype policy for the run's duration, and
TensorFlow's op determinism (which stays on)."""

from __future__ import annotations

import contextlib
import os
import warnings

import keras

from keras_resnet.vocabulary import INTEROP_THREADS_ENV


@contextlib.contextmanager
def dtype_policy(name: str | None):
    """Set Keras' global dtype policy inside the block (None leaves it as it is); ``name`` is
    one ``RunOptions`` checked.

    Example:
        >>> with dtype_policy("mixed_bfloat16"):
        ...     keras.config.dtype_policy().name
        'mixed_bfloat16'
    """
    previous = keras.config.dtype_policy()
    if name is not None:
        keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def deterministic_seed(deterministic: bool, seed: int | None) -> int | None:
    """With ``deterministic``, op determinism turned on and ``seed`` (0 if None); else ``seed``.

    Example:
        >>> deterministic_seed(False, 3)
        3
    """
    if deterministic:
        enable_determinism()
        return 0 if seed is None else seed
    return seed


def enable_determinism() -> None:
    """TensorFlow's op determinism, and one op at a time: ops that run side by side
    (inter-op parallelism) made two same-seed runs on a busy 2-core machine differ from the
    first epoch; each op still uses every core (intra-op threads). Stays on for the process.

    Example:
        >>> enable_determinism()  # doctest: +SKIP
    """
    try:
        import tensorflow as tf
    except ImportError:  # JAX or PyTorch without TensorFlow: the seed alone decides
        return
    tf.config.experimental.enable_op_determinism()
    one_at_a_time = os.environ.get(INTEROP_THREADS_ENV) == "1"
    if one_at_a_time or tf.config.threading.get_inter_op_parallelism_threads() == 1:
        return
    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow has run an op already: its thread pools are fixed
        warnings.warn(
            "deterministic=True: TensorFlow had started before train() and runs ops side by "
            "side, so a run on a busy machine may differ from another with the same seed; "
            "set TF_NUM_INTEROP_THREADS=1 before Python starts (the keras-resnet command "
            "does), or call tf.config.threading.set_inter_op_parallelism_threads(1) before "
            "any TensorFlow op.",
            stacklevel=3,
        )

"""Start Keras (and TensorFlow, its default backend) without TensorFlow's start-up chatter.

Since TF 2.16 about eight lines reach stderr on every start (absl's "All log messages before
absl::InitializeLog() is called are written to STDERR", CUDA probes, CPU-feature notes) and
``TF_CPP_MIN_LOG_LEVEL`` no longer hides them: they are written by C++ code before TensorFlow
reads it. ``import keras_resnet`` therefore imports Keras with the process's stderr (file
descriptor 2) sent to /dev/null and restored at once. Python exceptions are unaffected.
``KERAS_RESNET_TF_LOGS=1`` shows the lines; nothing is hidden if Keras was imported first.
"""

from __future__ import annotations

import os
import sys


def start_quietly() -> None:
    """Import Keras and initialise TensorFlow's devices with stderr silenced (see above).

    Example:
        >>> start_quietly()  # Keras already runs here: nothing to hide, nothing done
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ.get("KERAS_RESNET_TF_LOGS") or "keras" in sys.modules:
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401  (imports the backend)

        if "tensorflow" in sys.modules:
            import tensorflow as tf

            tf.config.list_logical_devices()  # the CUDA probe logs as devices initialise
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


start_quietly()

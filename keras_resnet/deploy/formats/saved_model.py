"""``tf_saved_model``: Keras' ``model.export``; served by ``tf.saved_model.load(path).serve``."""

from __future__ import annotations

import collections
import os
import shutil

import numpy as np

from keras_resnet.deploy.formats.base import ExportFormat


class SavedModelFormat(ExportFormat):
    """A TensorFlow SavedModel folder (TF Serving), written on TensorFlow and JAX.

    Example:
        >>> SavedModelFormat().suffix is None
        True
    """

    name = "tf_saved_model"
    backends = ("tensorflow", "jax")

    def _write(self, network, path, quantize, images) -> None:
        network.export(path, format=self.name, verbose=False)

    def load(self, path, quantize=None):
        import tensorflow as tf

        loaded = tf.saved_model.load(path)  # held by the closure: its variables must live
        return lambda x: np.asarray(loaded.serve(tf.constant(x)))

    def files(self, path: str) -> list[str]:
        return sorted(
            os.path.join(root, name) for root, _, names in os.walk(path) for name in names
        )

    def move(self, source: str, target: str) -> None:
        if os.path.isdir(target):
            shutil.rmtree(target)
        os.replace(source, target)

    def weight_dtypes(self, path: str) -> dict[str, int]:
        import tensorflow as tf

        kernels = [v for v in tf.saved_model.load(path).variables if len(v.shape) in (2, 4)]
        return dict(collections.Counter(v.dtype.name for v in kernels))

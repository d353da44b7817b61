"""``load_model``: any ``.keras`` file of a model, checked before Keras opens it."""

from __future__ import annotations

import os

import keras

from keras_resnet.archive import check_keras_archive
from keras_resnet.errors import reading
from keras_resnet.models.builder import recursion_limit


def load_model(model_or_path) -> keras.Model:
    """A keras.Model as it is, or loaded from a ``.keras`` file (any depth, ResNet-1202 too).

    Example:
        >>> load_model(keras_resnet.ResNet20()).name
        'resnet20'
    """
    if isinstance(model_or_path, keras.Model):
        return model_or_path
    path = os.fspath(model_or_path) if isinstance(model_or_path, str | os.PathLike) else None
    if path is None or not os.path.isfile(path) or not path.endswith(".keras"):
        raise FileNotFoundError(
            "The `model` argument should be a keras.Model or the path of an existing .keras "
            f"file. Received: model={model_or_path if path is None else path!r}"
        )
    check_keras_archive(path)
    with recursion_limit(50_000), reading(path, "a Keras .keras model"):
        return keras.saving.load_model(path)  # ResNet-1202 is deeper than Python's default

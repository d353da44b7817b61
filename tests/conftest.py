"""Shared test fixtures: models built once per session."""

import functools
import os

import keras
import numpy as np
import pytest

import keras_resnet
from keras_resnet import data
from keras_resnet.data.local_builders import SYSTEM_DIRS


@functools.cache
def _build(name: str, options: tuple) -> keras.Model:
    return keras_resnet.get_model(name, weights=None, **dict(options))


@pytest.fixture(scope="session")
def build():
    """``build(name, **kwargs)``: a model built once per session for read-only checks."""
    return lambda name, **kwargs: _build(name, tuple(sorted(kwargs.items())))


def trainable_params(model: keras.Model) -> int:
    """Parameters the paper counts: no BN moving statistics."""
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.fixture(scope="session")
def fashion_dir(tmp_path_factory):
    """A TFDS data_dir with fashion_mnist prepared from the Debian files (once per session)."""
    source = SYSTEM_DIRS["fashion_mnist"]
    assert os.path.isdir(source), "apt-get install dataset-fashion-mnist (.ci/run does)"
    data_dir = str(tmp_path_factory.mktemp("tfds"))
    data.get_builder("fashion_mnist", data_dir, download=False)
    return data_dir

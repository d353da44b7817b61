"""Shared test fixtures: models built once per session."""

import functools
import os

import keras
import pytest

import keras_resnet
from keras_resnet import data
from keras_resnet.data.files import SYSTEM_DIRS
from keras_resnet.zoo import cache, convert, registry


@functools.cache
def _build(name: str, options: tuple) -> keras.Model:
    return keras_resnet.get_model(name, weights=None, **dict(options))


@pytest.fixture(scope="session")
def build():
    """``build(name, **kwargs)``: a model built once per session for read-only checks."""
    return lambda name, **kwargs: _build(name, tuple(sorted(kwargs.items())))


@pytest.fixture(scope="session")
def fashion_dir(tmp_path_factory):
    """A TFDS data_dir with fashion_mnist prepared from the Debian files (once per session)."""
    source = SYSTEM_DIRS["fashion_mnist"]
    if not os.path.isdir(source):
        pytest.skip(f"Fashion-MNIST is not installed ({source}): apt-get install "
                    "dataset-fashion-mnist (.ci/run does)")  # fmt: skip
    data_dir = str(tmp_path_factory.mktemp("tfds"))
    data.get_builder("fashion_mnist", data_dir, download=False)
    return data_dir


@pytest.fixture
def warm_cache(tmp_path, monkeypatch):
    """KERAS_HOME holding a conversion of random ResNet-18 weights under resnet18.tv_in1k's
    pinned sha256: ``weights="imagenet"`` for ResNet18 then loads them without any network."""
    from reference_weights import reference

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    state, _ = reference(18)
    keras_state = convert.from_torchvision(state)
    sha256 = registry.weights_info("resnet18.tv_in1k")["sha256"]
    cache.store(keras_state, cache.converted_path(sha256))
    return keras_state

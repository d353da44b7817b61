"""Shared test fixtures: models built once per session."""

import functools

import keras
import numpy as np
import pytest

import keras_resnet


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

"""Repository-wide pytest set-up: quiet TensorFlow and the names docstring examples use."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Tests never touch the network: the Hub client refuses to, and tests that need a Hub start
# a loopback one in a subprocess with HF_HUB_OFFLINE=0.
os.environ["HF_HUB_OFFLINE"] = "1"

import keras
import numpy as np
import pytest

import keras_resnet


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace.update(keras=keras, np=np, keras_resnet=keras_resnet)

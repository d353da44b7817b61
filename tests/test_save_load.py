"""Serialization: .keras round trips and weights= files give identical outputs."""

import keras
import numpy as np
import pytest

import keras_resnet


@pytest.mark.parametrize(
    "make",
    [
        lambda: keras_resnet.ResNet18(weights=None, input_shape=(64, 64, 3), classes=7),
        lambda: keras_resnet.ResNet50(weights=None, input_shape=(64, 64, 3), variant="v1"),
        lambda: keras_resnet.ResNet20(shortcut="A"),
    ],
    ids=["resnet18", "resnet50-v1", "resnet20-A"],
)
def test_keras_file_round_trip_gives_identical_outputs(tmp_path, make):
    model = make()
    images = np.random.default_rng(1).uniform(-1, 1, (2, *model.input_shape[1:])).astype("float32")
    expected = model.predict(images, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_array_equal(restored.predict(images, verbose=0), expected)
    assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_weights_argument_loads_a_local_file(tmp_path, suffix):
    model = keras_resnet.ResNet20(shortcut="A")
    path = tmp_path / f"resnet20{suffix}"
    model.save_weights(path) if suffix == ".weights.h5" else model.save(path)
    images = np.random.default_rng(2).uniform(-1, 1, (3, 32, 32, 3)).astype("float32")
    loaded = keras_resnet.ResNet20(weights=str(path))
    np.testing.assert_array_equal(
        loaded.predict(images, verbose=0), model.predict(images, verbose=0)
    )


def test_zero_pad_shortcut_serializes():
    layer = keras_resnet.ZeroPadShortcut(64, 2, name="s")
    clone = keras.layers.deserialize(keras.layers.serialize(layer))
    assert (clone.filters, clone.strides, clone.name) == (64, 2, "s")

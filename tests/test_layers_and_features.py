"""Option-A shortcut numerics, headless models, feature extraction, the model registry."""

import keras
import numpy as np
import pytest

import keras_resnet


@pytest.mark.parametrize(("size", "strides"), [(8, 2), (7, 2), (8, 1)])
def test_zero_pad_shortcut_subsamples_and_pads_channels_evenly(size, strides):
    x = np.random.default_rng(0).normal(size=(2, size, size, 16)).astype("float32")
    y = keras.ops.convert_to_numpy(keras_resnet.ZeroPadShortcut(32, strides)(x))
    expected = np.pad(x[:, ::strides, ::strides, :], [(0, 0), (0, 0), (0, 0), (8, 8)])
    np.testing.assert_array_equal(y, expected)


def test_zero_pad_shortcut_output_size_matches_a_strided_3x3_conv_on_odd_maps():
    model = keras_resnet.ResNet18(weights=None, include_top=False, input_shape=(97, 97, 3))
    assert model.output_shape == (None, 4, 4, 512)
    model_a = keras_resnet.ResNet18(
        weights=None, include_top=False, input_shape=(97, 97, 3), shortcut="A"
    )
    assert model_a.output_shape == model.output_shape


def test_zero_pad_shortcut_refuses_bad_filters_strides_and_input_channels():
    with pytest.raises(ValueError, match="filters=8"):
        keras_resnet.ZeroPadShortcut(8)(keras.Input((4, 4, 16)))
    with pytest.raises(ValueError, match=r"`filters`.*Received: filters=0"):
        keras_resnet.ZeroPadShortcut(0)
    with pytest.raises(ValueError, match=r"`strides`.*Received: strides=1\.5"):
        keras_resnet.ZeroPadShortcut(8, strides=1.5)


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize(("pooling", "rank"), [(None, 4), ("avg", 2), ("max", 2)])
def test_headless_models_take_any_size_and_channels(channels, pooling, rank):
    model = keras_resnet.ResNet18(
        weights=None, include_top=False, pooling=pooling, input_shape=(None, None, channels)
    )
    for size in (32, 70):
        out = model.predict(np.zeros((1, size, size, channels), "float32"), verbose=0)
        assert out.ndim == rank and out.shape[-1] == 512


def test_cifar_headless_with_pooling(build):
    model = keras_resnet.ResNet20(include_top=False, pooling="avg", input_shape=(None, None, 1))
    assert model.output_shape == (None, 64)


def test_input_tensor_is_used_as_the_input():
    inputs = keras.Input((64, 64, 3), name="images")
    model = keras_resnet.ResNet18(weights=None, input_tensor=inputs, classes=5)
    assert model.inputs[0] is inputs
    assert model.output_shape == (None, 5)


def test_feature_extractor_gives_stage_outputs_at_strides_4_to_32():
    model = keras_resnet.ResNet50(weights=None, include_top=False, input_shape=(128, 128, 3))
    features = keras_resnet.feature_extractor(model)
    out = features.predict(np.zeros((1, 128, 128, 3), "float32"), verbose=0)
    assert {k: v.shape for k, v in out.items()} == {
        "conv2": (1, 32, 32, 256),
        "conv3": (1, 16, 16, 512),
        "conv4": (1, 8, 8, 1024),
        "conv5": (1, 4, 4, 2048),
    }
    assert features.get_layer("conv1_conv") is model.get_layer("conv1_conv")


def test_feature_extractor_on_cifar_nets_and_on_keras_applications(build):
    assert sorted(keras_resnet.feature_extractor(build("resnet20")).output) == [
        "conv2",
        "conv3",
        "conv4",
    ]
    reference = keras.applications.ResNet50(
        weights=None, include_top=False, input_shape=(64, 64, 3)
    )
    assert sorted(keras_resnet.feature_extractor(reference).output) == [
        "conv2",
        "conv3",
        "conv4",
        "conv5",
    ]


def test_feature_extractor_rejects_models_without_stages():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="conv\\{s\\}_block\\{b\\}_out"):
        keras_resnet.feature_extractor(model)


def test_list_models_and_get_model():
    names = keras_resnet.list_models()
    assert names == [
        "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "plain18", "plain34",
        "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet1202",
        "plain20", "plain32", "plain44", "plain56", "plain110",
    ]  # fmt: skip
    for name in names:
        constructor = getattr(
            keras_resnet, name.replace("resnet", "ResNet").replace("plain", "Plain")
        )
        assert constructor.__name__.lower() == name
        assert constructor.__doc__ and "Example" in constructor.__doc__
    model = keras_resnet.get_model("ResNet32", classes=100, shortcut="B")
    assert model.name == "resnet32" and model.output_shape == (None, 100)


@pytest.mark.parametrize("name", ["ResNet18", "ResNet50", "Plain18", "ResNet20", "Plain20"])
def test_constructor_docstring_examples_run(name):
    import doctest

    constructor = getattr(keras_resnet, name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(constructor, name, globs={"keras_resnet": keras_resnet}):
        runner.run(test)
    assert runner.summarize(verbose=False).attempted == 2
    assert runner.summarize(verbose=False).failed == 0


def test_constructor_signature_is_keras_applications():
    import inspect

    params = inspect.signature(keras_resnet.ResNet50).parameters
    assert list(params)[:8] == [
        "include_top", "weights", "input_tensor", "input_shape", "pooling", "classes",
        "classifier_activation", "name",
    ]  # fmt: skip
    assert params["weights"].default == "imagenet" and params["variant"].default == "v1.5"
    assert params["variant"].kind is inspect.Parameter.KEYWORD_ONLY
    assert inspect.signature(keras_resnet.ResNet110).parameters["shortcut"].default == "A"
    assert inspect.signature(keras_resnet.Plain34).parameters["weights"].default is None

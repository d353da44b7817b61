"""Conversion is proven numerically: torchvision's logits, keras.applications' outputs."""

import h5py
import keras
import numpy as np
import pytest
from helpers import relative_error
from reference_weights import DEPTHS, IMAGE_SIZE, random_images, reference
from safetensors.numpy import load_file, save_file

import keras_resnet
from keras_resnet.zoo import convert


@pytest.mark.parametrize("depth", DEPTHS)
def test_torchvision_weights_give_torchvisions_logits(depth, tmp_path):
    state, expected = reference(depth)
    path = tmp_path / f"resnet{depth}.safetensors"
    save_file(state, str(path))
    model = keras_resnet.get_model(
        f"resnet{depth}",
        weights=str(path),
        input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3),
        classifier_activation=None,
    )
    logits = model.predict_on_batch(random_images(seed=depth))
    assert relative_error(logits, expected) < 1e-4
    assert (logits.argmax(1) == expected.argmax(1)).all()


def test_backbone_only_and_other_input_channels():
    state, _ = reference(18)
    keras_state = convert.from_torchvision(state)
    images = random_images(seed=18)
    full = keras_resnet.ResNet18(weights=None, input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
    convert.assign(full, keras_state)
    backbone = keras_resnet.ResNet18(
        weights=None, include_top=False, pooling="avg", input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3)
    )
    convert.assign(backbone, keras_state)
    features = full.get_layer("avg_pool").output
    expected = keras.Model(full.input, features).predict_on_batch(images)
    np.testing.assert_allclose(backbone.predict_on_batch(images), expected, rtol=1e-5, atol=1e-6)

    grey = keras_resnet.ResNet18(
        weights=None, include_top=False, pooling="avg", input_shape=(IMAGE_SIZE, IMAGE_SIZE, 1)
    )
    convert.assign(grey, keras_state)
    # A grey image through the summed kernel equals the same image as RGB.
    one = images[..., :1]
    np.testing.assert_allclose(
        grey.predict_on_batch(one),
        backbone.predict_on_batch(np.repeat(one, 3, axis=-1)),
        rtol=1e-4,
        atol=1e-5,
    )
    four = keras_resnet.ResNet18(weights=None, include_top=False, input_shape=(64, 64, 4))
    convert.assign(four, keras_state)
    kernel = four.get_layer("conv1_conv").kernel.numpy()
    np.testing.assert_allclose(kernel[:, :, 3], keras_state["conv1_conv/kernel"][:, :, 0] * 0.75)


def test_mismatched_checkpoints_are_refused_with_their_names(tmp_path):
    state, _ = reference(18)
    path = tmp_path / "r18.safetensors"
    save_file(state, str(path))
    with pytest.raises(ValueError, match=r"does not fit the model 'resnet34'.*missing"):
        keras_resnet.ResNet34(weights=str(path))
    with pytest.raises(ValueError, match=r"shapes differ.*predictions/kernel.*include_top=False"):
        keras_resnet.ResNet18(weights=str(path), classes=10)
    assert keras_resnet.ResNet18(weights=str(path), include_top=False, classes=10)
    for suffix in (".bin", ".pth", ".pt"):
        with pytest.raises(ValueError, match=r"never unpickles.*safetensors is the way"):
            keras_resnet.ResNet18(weights=str(tmp_path / f"model{suffix}"))


def _randomize(model, rng):
    for layer in model.layers:
        for variable in layer.weights:
            if "variance" in variable.name:
                value = rng.uniform(0.5, 1.5, variable.shape)
            elif "gamma" in variable.name:
                value = rng.uniform(0.5, 1.0, variable.shape)
            elif variable.name == "kernel" and len(variable.shape) == 4:
                value = rng.normal(0, np.sqrt(1.0 / np.prod(variable.shape[:3])), variable.shape)
            else:  # conv biases, BN means/betas, dense weights
                value = rng.normal(0, 0.1, variable.shape)
            variable.assign(value.astype("float32"))


def test_keras_applications_resnet50_h5_loads_into_v1(tmp_path):
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    reference = keras.applications.ResNet50(weights=None, input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
    _randomize(reference, np.random.default_rng(0))
    assert np.abs(reference.get_layer("conv2_block1_1_conv").bias.numpy()).max() > 0
    path = str(tmp_path / "resnet50_weights_tf_dim_ordering_tf_kernels.h5")
    with h5py.File(path, "w") as handle:
        save_weights_to_hdf5_group(handle, reference)
    images = random_images(seed=50)
    expected = reference.predict_on_batch(images)

    model = keras_resnet.ResNet50(
        weights=path, variant="v1", input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3)
    )
    actual = model.predict_on_batch(images)
    assert relative_error(actual, expected) < 1e-4
    assert (actual.argmax(1) == expected.argmax(1)).all()
    with pytest.raises(ValueError, match=r"v1 weights.*variant='v1.5'.*Pass `variant='v1'`"):
        keras_resnet.ResNet50(weights=path)


def test_zoo_layout_round_trip(tmp_path):
    model = keras_resnet.ResNet20(weights=None)
    _randomize(model, np.random.default_rng(1))
    state = {k: v.numpy() for k, v in convert.model_variables(model).items()}
    path = str(tmp_path / "r20.safetensors")
    save_file(state, path)
    assert convert.describe(load_file(path))["blocks_per_stage"] == (3, 3, 3)
    loaded = keras_resnet.ResNet20(weights=path)
    images = np.random.default_rng(2).normal(size=(2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict_on_batch(images), model.predict_on_batch(images))

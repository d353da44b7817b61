"""Structure: layer names, stride placement, shortcut options, plain nets, the stage layout."""

import keras
import numpy as np
import pytest

import keras_resnet


def _conv_names(model):
    return {layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)}


def test_v1_resnet50_has_the_conv_names_and_kernels_of_keras_applications(build):
    ours = build("resnet50", variant="v1")
    reference = keras.applications.ResNet50(weights=None)
    assert _conv_names(ours) == _conv_names(reference)
    for name in _conv_names(ours):
        mine, theirs = ours.get_layer(name), reference.get_layer(name)
        assert mine.kernel.shape == theirs.kernel.shape, name
        assert mine.strides == theirs.strides, name
    assert {"avg_pool", "predictions", "conv1_bn", "pool1_pool"} <= {
        layer.name for layer in ours.layers
    }


def test_v1_resnet50_computes_what_keras_applications_computes(build):
    """Same weights (keras.applications' conv biases set to zero) give the same logits."""
    ours = build("resnet50", variant="v1")
    reference = keras.applications.ResNet50(weights=None, classifier_activation=None)
    rng = np.random.default_rng(0)
    for layer in reference.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = (v.shape for v in layer.weights)
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, gamma),
                    rng.normal(0, 0.1, beta),
                    rng.normal(0, 0.1, mean),
                    rng.uniform(0.5, 1.5, var),
                ]
            )
        elif isinstance(layer, keras.layers.Conv2D):
            layer.bias.assign(np.zeros(layer.bias.shape))
    copy = keras.models.clone_model(ours)
    for layer in copy.layers:
        if layer.weights:
            source = reference.get_layer(layer.name).get_weights()
            if isinstance(layer, keras.layers.Conv2D):
                source = source[:1]
            layer.set_weights(source)
    copy.get_layer("predictions").activation = keras.activations.linear
    images = rng.uniform(-1, 1, (2, 224, 224, 3)).astype("float32")
    expected = reference.predict(images, verbose=0)
    actual = copy.predict(images, verbose=0)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("depth", [50, 101, 152])
def test_variant_moves_the_stride_between_1x1_and_3x3(build, depth):
    v1, v15 = build(f"resnet{depth}", variant="v1"), build(f"resnet{depth}")
    for stage in (3, 4, 5):
        block = f"conv{stage}_block1"
        assert v1.get_layer(f"{block}_1_conv").strides == (2, 2)
        assert v1.get_layer(f"{block}_2_conv").strides == (1, 1)
        assert v15.get_layer(f"{block}_1_conv").strides == (1, 1)
        assert v15.get_layer(f"{block}_2_conv").strides == (2, 2)
        # torch pads a strided 3x3 by one on every side: explicit padding, then "valid".
        assert v15.get_layer(f"{block}_2_pad").padding == ((1, 1), (1, 1))
        assert v15.get_layer(f"{block}_2_conv").padding == "valid"


def test_basic_block_nets_are_the_same_in_both_variants(build):
    v1, v15 = build("resnet18", variant="v1"), build("resnet18")
    assert [w.shape for w in v1.weights] == [w.shape for w in v15.weights]
    assert [layer.name for layer in v1.layers[1:]] == [layer.name for layer in v15.layers[1:]]


def test_imagenet_stem_pads_explicitly_like_torch(build):
    model = build("resnet18")
    assert model.get_layer("conv1_pad").padding == ((3, 3), (3, 3))
    assert model.get_layer("conv1_conv").padding == "valid"
    assert model.get_layer("pool1_pad").padding == ((1, 1), (1, 1))
    assert model.get_layer("pool1_pool").padding == "valid"


def test_torch_numerics_no_bias_and_bn_epsilon(build):
    model = build("resnet34")
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            assert not layer.use_bias, layer.name
        if isinstance(layer, keras.layers.BatchNormalization):
            assert layer.epsilon == 1e-5 and layer.momentum == 0.9, layer.name


@pytest.mark.parametrize(
    ("name", "shortcut", "projections", "zero_pads"),
    [
        ("resnet34", "A", 0, 3),
        ("resnet34", "B", 3, 0),
        ("resnet34", "C", 16, 0),
        ("resnet50", "B", 4, 0),  # conv2_block1 grows 64 -> 256 channels
        ("resnet50", "A", 0, 4),
        ("resnet20", "A", 0, 2),
        ("resnet20", "B", 2, 0),
        ("resnet20", "C", 9, 0),
    ],
)
def test_shortcut_options_of_section_3_3(build, name, shortcut, projections, zero_pads):
    model = build(name, shortcut=shortcut)
    names = [layer.name for layer in model.layers]
    assert sum(n.endswith("_0_conv") for n in names) == projections
    assert (
        sum(isinstance(layer, keras_resnet.ZeroPadShortcut) for layer in model.layers) == zero_pads
    )


def test_plain_nets_have_no_shortcuts(build):
    for name in ("plain18", "plain34", "plain20", "plain110"):
        model = build(name)
        assert not [layer for layer in model.layers if isinstance(layer, keras.layers.Add)]
        assert not [layer for layer in model.layers if layer.name.endswith("_0_conv")]


def test_cifar_layout_of_section_4_2(build):
    model = build("resnet56")
    assert model.get_layer("conv1_conv").kernel.shape == (3, 3, 3, 16)
    assert model.get_layer("conv2_block9_out").output.shape == (None, 32, 32, 16)
    assert model.get_layer("conv3_block9_out").output.shape == (None, 16, 16, 32)
    assert model.get_layer("conv4_block9_out").output.shape == (None, 8, 8, 64)
    assert model.output_shape == (None, 10)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) + 1 == 56  # depth counts the convs plus the fc layer


def test_zero_init_residual_starts_each_block_as_identity():
    model = keras_resnet.ResNet20(zero_init_residual=True)
    gammas = [model.get_layer(f"conv{s}_block{b}_2_bn").gamma for s in (2, 3, 4) for b in (1, 2, 3)]
    assert all(np.all(g.numpy() == 0) for g in gammas)
    assert np.all(model.get_layer("conv2_block1_1_bn").gamma.numpy() == 1)


def test_he_fan_out_initialisation(build):
    kernel = build("resnet20").get_layer("conv3_block2_1_conv").kernel.numpy()
    expected_std = np.sqrt(2.0 / (3 * 3 * 32))  # fan_out = k*k*out_channels
    assert abs(kernel.std() / expected_std - 1) < 0.1


def test_kernel_regularizer_reaches_every_kernel_and_no_bn():
    model = keras_resnet.ResNet20(kernel_regularizer=keras.regularizers.L2(5e-5))
    kernels = [layer for layer in model.layers if hasattr(layer, "kernel")]
    assert len(model.losses) == len(kernels) == 20
    assert all(layer.kernel_regularizer is not None for layer in kernels)


def test_mixed_precision_keeps_the_head_in_float32():
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = keras_resnet.ResNet20()
    finally:
        keras.config.set_dtype_policy("float32")
    assert model.get_layer("conv1_conv").compute_dtype == "bfloat16"
    assert model.get_layer("predictions").compute_dtype == "float32"
    assert model.predict(np.zeros((1, 32, 32, 3)), verbose=0).dtype == np.float32

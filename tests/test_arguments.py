"""Every bad argument raises ValueError naming the argument, the value and what is allowed."""

import re

import keras
import pytest

import keras_resnet


def _raises(pattern_parts, func, *args, **kwargs):
    with pytest.raises(ValueError) as info:
        func(*args, **kwargs)
    message = str(info.value)
    for part in pattern_parts:
        assert re.search(part, message), f"{part!r} not in {message!r}"


def test_unknown_model_name():
    _raises(["`name`", "resnet51", "resnet50", "Did you mean"], keras_resnet.get_model, "resnet51")


def test_cifar_depth_must_be_6n_plus_2():
    from keras_resnet.models.specs import cifar_spec

    _raises(["`depth`", "6n\\+2", "depth=21"], cifar_spec, 21)
    _raises(["`depth`", "depth=2"], cifar_spec, 2)


@pytest.mark.parametrize("bad", ["D", "projection", None, 1])
def test_shortcut_must_be_a_b_or_c(bad):
    _raises(
        ["`shortcut`", re.escape(repr(bad)), "'A'", "'B'", "'C'"],
        keras_resnet.ResNet20,
        shortcut=bad,
    )


def test_shortcut_is_case_insensitive():
    assert keras_resnet.ResNet20(shortcut="b").get_layer("conv3_block1_0_conv")


def test_unknown_variant():
    _raises(
        ["`variant`", "'v2'", "'v1.5'", "'v1'"], keras_resnet.ResNet50, weights=None, variant="v2"
    )


@pytest.mark.parametrize("shape", [(31, 32, 3), (32, 16, 3), (8, 8, 3)])
def test_input_smaller_than_32x32(shape):
    _raises(
        ["at least 32x32", re.escape(str(shape))],
        keras_resnet.ResNet18,
        weights=None,
        input_shape=shape,
    )
    _raises(["at least 32x32"], keras_resnet.ResNet20, input_shape=shape)


@pytest.mark.parametrize("shape", [(224, 224), (224, 224, 0), "224", (224, 224, 3, 1)])
def test_malformed_input_shape(shape):
    _raises(
        ["`input_shape`", re.escape(repr(shape))],
        keras_resnet.ResNet18,
        weights=None,
        input_shape=shape,
    )


def test_imagenet_weights_need_1000_classes_with_the_top():
    _raises(
        ["`classes`", "1000", "classes=10"], keras_resnet.ResNet50, weights="imagenet", classes=10
    )


def test_include_top_needs_static_input_shape():
    _raises(
        ["`include_top`", "static `input_shape`", re.escape("(None, None, 3)")],
        keras_resnet.ResNet18,
        weights=None,
        input_shape=(None, None, 3),
    )


@pytest.mark.parametrize("pooling", ["mean", "AVG", 1])
def test_pooling_must_be_none_avg_or_max(pooling):
    _raises(
        ["`pooling`", re.escape(repr(pooling)), "'avg'", "'max'"],
        keras_resnet.ResNet20,
        include_top=False,
        pooling=pooling,
    )


def test_classifier_activation_with_pretrained_weights(tmp_path):
    path = tmp_path / "r20.weights.h5"
    keras_resnet.ResNet20().save_weights(path)
    _raises(
        ["`classifier_activation`", "'sigmoid'", "`softmax`"],
        keras_resnet.ResNet20,
        weights=str(path),
        classifier_activation="sigmoid",
    )
    _raises(
        ["`classifier_activation`", "'relu'"],
        keras_resnet.ResNet50,
        weights="imagenet",
        classifier_activation="relu",
    )
    # Without pretrained weights any activation is fine, as in keras.applications.
    assert keras_resnet.ResNet20(classifier_activation="sigmoid").output_shape == (None, 10)


@pytest.mark.parametrize("classes", [0, -1, 2.5, "10"])
def test_classes_must_be_a_positive_integer(classes):
    _raises(["`classes`", re.escape(repr(classes))], keras_resnet.ResNet20, classes=classes)


def test_weights_the_model_cannot_take_are_refused_before_any_download():
    # The root conftest sets HF_HUB_OFFLINE=1: reaching a download would raise FileNotFoundError.
    _raises(
        ["variant 'v1.5'", "variant='v1'", "Pass `variant='v1.5'`"],
        keras_resnet.ResNet50,
        variant="v1",
    )
    _raises(
        ["no pretrained weights for resnet20", "CIFAR", "weights=None"],
        keras_resnet.ResNet20,
        weights="imagenet",
        classes=1000,
    )
    _raises(
        ["no pretrained weights for plain34", "plain"], keras_resnet.Plain34, weights="imagenet"
    )
    _raises(
        ["'resnet50.a1_in1k'", "resnet50, not resnet101"],
        keras_resnet.ResNet101,
        weights="resnet50.a1_in1k",
    )
    for shortcut in ("A", "C"):
        _raises(
            ["shortcut 'B'", f"shortcut='{shortcut}'"], keras_resnet.ResNet34, shortcut=shortcut
        )
    _raises(
        [
            "Unknown pretrained weights for resnet18",
            "'a1_in1k'",
            "Did you mean",
            "weights='a2_in1k'",
        ],
        keras_resnet.ResNet18,
        weights="a2_in1k",
    )
    _raises(["tv2_in1k", "resnet18"], keras_resnet.ResNet18, weights="tv2_in1k")
    _raises(["hf://owner/repo"], keras_resnet.ResNet18, weights="hf://not a repo")


def test_weights_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"`weights`.*missing\.weights\.h5"):
        keras_resnet.ResNet20(weights=str(tmp_path / "missing.weights.h5"))
    _raises(["unpickles", "model.pth"], keras_resnet.ResNet20, weights=str(tmp_path / "model.pth"))
    _raises(
        ["`weights`", "\\.weights\\.h5", "notes.txt"],
        keras_resnet.ResNet20,
        weights=str(tmp_path / "notes.txt"),
    )
    _raises(["`weights`", "3.5"], keras_resnet.ResNet20, weights=3.5)


def test_unexpected_keyword_is_a_type_error_naming_the_constructor():
    with pytest.raises(TypeError, match=r"Plain18.*shortcut"):
        keras_resnet.Plain18(shortcut="A")


def test_channels_first_is_refused_clearly():
    keras.config.set_image_data_format("channels_first")
    try:
        _raises(["channels_last"], keras_resnet.ResNet20)
    finally:
        keras.config.set_image_data_format("channels_last")


def test_an_unknown_dataset_is_named_by_the_callers_argument():
    from keras_resnet import data, recipes

    expected = ["Unknown dataset", "'fashion_mnist'", "fashonmnist"]
    _raises(["`name`", *expected], data.info, "fashonmnist")
    # Checked before the model is read.
    _raises(["`dataset`", *expected], recipes.evaluate, "missing.keras", "fashonmnist")
    _raises(["`dataset`", *expected], recipes.predict_files, None, [], dataset="fashonmnist")


def _recipe(model="resnet20", **options):
    """A Recipe of ``model`` on CIFAR-10 with one LR and ``options``."""
    from keras_resnet import recipes

    options = {"lr_values": (0.1,), "lr_boundaries": (), **options}
    return recipes.Recipe("x", model, "cifar10", **options)


def _schedule(*args, **kwargs):
    from keras_resnet import recipes

    return recipes.PaperSchedule(*args, **kwargs)


def _warmup_callback(threshold):
    from keras_resnet import recipes

    return recipes.WarmupUntilError(recipes.PaperSchedule((0.1,), ()), threshold=threshold)


def _preprocess(shape):
    import numpy as np

    return keras_resnet.preprocess_input(np.zeros(shape))


def _load(**options):
    from keras_resnet import data

    return data.load("fashion_mnist", **options)


# Values that would train silently wrong (a negative LR, 0 read as the default) or fail in
# Keras' words after the run folder is made: each refused where it is made, before train()
# writes recipe.json.
@pytest.mark.parametrize(
    ("make", "parts"),
    [
        (
            lambda: _schedule((0.1, 0.01), (1, 2)),
            ["`values`", "`boundaries`", r"boundaries=\(1, 2\)"],
        ),
        (
            lambda: _schedule((0.1, 0.01, 0.001), (20, 10)),
            ["`boundaries`", r"boundaries=\(20, 10\)"],
        ),
        (lambda: _schedule((0.1,), (), 0.01, -1), ["`warmup_steps`", "warmup_steps=-1"]),
        (lambda: _schedule((0.1,), (), 0.01, "x"), ["`warmup_steps`", "warmup_steps='x'"]),
        (lambda: _schedule((0.1,), (), scale=-1), ["`scale`", "scale=-1"]),
        (lambda: _warmup_callback(80), ["`threshold`", "threshold=80"]),
        (lambda: _recipe(model="resnet21"), ["`model`", "model='resnet21'"]),
        (lambda: _recipe(lr_values=(0.1, 0.01)), ["`lr_values`", "`lr_boundaries`"]),
        (lambda: _recipe(steps=0), ["`steps`", "steps=0"]),
        (
            lambda: _recipe(lr_values=(-0.1,)),
            [r"learning rates above 0. Received: lr_values=\(-0.1,\)"],
        ),
        (
            lambda: _recipe(lr_values=(0.1, 0.01), lr_boundaries=("x",)),
            [r"`lr_boundaries`.*iterations"],
        ),
        (lambda: _recipe(momentum=1.5), ["`momentum`", "momentum=1.5"]),
        (lambda: _recipe(weight_decay=-1e-4), ["`weight_decay`", "weight_decay=-0.0001"]),
        (lambda: _recipe(label_smoothing=2.0), [r"\[0, 1\). Received: label_smoothing=2.0"]),
        (lambda: _recipe(warmup_lr=-0.01), ["`warmup_lr`", "warmup_lr=-0.01"]),
        (lambda: _recipe(warmup_until_error=3), ["`warmup_until_error`", "warmup_until_error=3"]),
        (lambda: _recipe(steps_per_epoch=0), ["`steps_per_epoch`", "steps_per_epoch=0"]),
        (lambda: _recipe(plateau="yes"), ["`plateau`", "plateau='yes'"]),
        (
            lambda: _recipe(mixed_precision="float64"),
            ["`mixed_precision`", "mixed_precision='float64'"],
        ),
        (lambda: _preprocess((1, 4, 4, 2)), ["`x`", "RGB", r"\(1, 4, 4, 2\)"]),
        (lambda: _load(image_size=0), ["`image_size`", "image_size=0"]),
    ],
    ids=[
        "schedule-length",
        "schedule-order",
        "warmup-negative",
        "warmup-not-int",
        "scale",
        "threshold",
        "recipe-model",
        "recipe-pieces",
        "recipe-steps",
        "lr-negative",
        "boundary-not-int",
        "momentum",
        "weight-decay",
        "label-smoothing",
        "warmup-lr",
        "warmup-until-error",
        "steps-per-epoch",
        "plateau",
        "mixed-precision",
        "preprocess-channels",
        "load-image-size",
    ],
)
def test_schedules_recipes_and_inputs_are_checked_where_they_are_made(make, parts):
    _raises(parts, make)

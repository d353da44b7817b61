"""A checkpoint is one typed value, resolved once and carried by the model it loads into."""

import sys

import keras
import numpy as np
import pytest
from PIL import Image

import keras_resnet
from keras_resnet import data, recipes
from keras_resnet.data import transforms
from keras_resnet.zoo import Checkpoint, Preprocessing, registry


def test_checkpoint_values_round_trip_through_their_dict():
    for name in registry.list_weights():
        checkpoint = registry.get(name)
        assert Checkpoint.from_dict(checkpoint.to_dict()) == checkpoint
        assert keras_resnet.weights_info(name) == checkpoint.to_dict()
    with pytest.raises(ValueError, match=r"`interpolation`.*Received: interpolation='cubic'"):
        Preprocessing(interpolation="cubic")
    with pytest.raises(ValueError, match=r"`format`.*Received: format='pickle'"):
        Checkpoint("resnet18.x", "resnet18", format="pickle")
    with pytest.raises(ValueError, match=r"unknown keys: \['resize'\]"):
        Preprocessing.from_dict({"resize": 256})
    for values, message in (
        ({"mean": "x"}, r"`mean` argument should be a tuple of 1 or 3 numbers"),
        ({"std": [0.2, 0.0, 0.2]}, r"`std`.*above 0. Received: std=\(0.2, 0.0, 0.2\)"),
        ({"crop_pct": 1.2}, r"`crop_pct` argument should be a number in \(0, 1\]"),
        ({"input_size": [224, 224]}, r"`input_size`.*three positive integers"),
    ):
        with pytest.raises(ValueError, match=message):
            Preprocessing.from_dict(values)
    assert Preprocessing.from_dict({"input_size": 160}).input_size == (3, 160, 160)
    for fields, message in (
        ({"num_classes": 0}, r"`num_classes`.*positive integer. Received: num_classes=0"),
        ({"num_classes": 3, "class_names": ("a",)}, r"`class_names`.*None or 3 strings"),
        ({"repo_id": "me/x", "filename": "../../etc/passwd"}, r"`filename`.*inside its repo"),
        ({"repo_id": "me/x", "filename": "/abs/model.safetensors"}, r"`filename`"),
        ({"repo_id": "me/x", "filename": 5}, r"Received: filename=5"),
    ):
        with pytest.raises(ValueError, match=message):
            Checkpoint("resnet18.x", "resnet18", **fields)


def test_hf_configs_make_checkpoints_or_clear_errors():
    timm = Checkpoint.from_hf_config(
        {"architecture": "resnet50.a1_in1k", "pretrained_cfg": {"crop_pct": 0.95}},
        repo_id="timm/resnet50.a1_in1k", revision="a" * 40,
    )  # fmt: skip
    assert (timm.arch, timm.format, timm.preprocessing.crop_pct) == ("resnet50", "timm", 0.95)
    assert timm.name == f"hf://timm/resnet50.a1_in1k@{'a' * 40}"
    for config, message in (
        ([1, 2], "should hold a JSON object, not list"),
        ({"library_name": "keras_resnet"}, "model card without `arch`"),
        ({"hello": 1}, "neither a timm config"),
        ({"library_name": "keras_resnet", "arch": "resnet20", "filename": "pytorch_model.bin"},
         "never unpickles.*Received: filename='pytorch_model.bin'"),
    ):  # fmt: skip
        with pytest.raises(ValueError, match=message):
            Checkpoint.from_hf_config(config, repo_id="me/x", revision=None)


def test_a_zoo_name_is_resolved_once_and_the_model_carries_its_checkpoint(
    warm_cache, tmp_path, monkeypatch, fashion_dir
):
    calls = []
    resolve = registry.resolve
    monkeypatch.setattr(
        registry, "resolve", lambda *args, **kwargs: calls.append(args) or resolve(*args, **kwargs)
    )
    model = keras_resnet.ResNet18(weights="imagenet")
    assert len(calls) == 1
    checkpoint = model.checkpoint
    assert checkpoint == registry.get("resnet18.tv_in1k")
    assert keras_resnet.ResNet18(weights=None).checkpoint is None

    image = np.full((1, 2, 2, 3), 200.0, "float32")
    np.testing.assert_allclose(
        keras_resnet.preprocess_input(image, model=model),
        keras_resnet.preprocess_input(image, weights="resnet18.tv_in1k"),
    )
    with pytest.raises(ValueError, match=r"`model`.*random or unknown weights"):
        keras_resnet.preprocess_input(image, model=keras_resnet.ResNet20())

    # predict, evaluate and data.load read the checkpoint's view from the model.
    seen = []
    checkpoint_eval = transforms.checkpoint_eval
    monkeypatch.setattr(
        transforms, "checkpoint_eval", lambda x, p: seen.append(p) or checkpoint_eval(x, p)
    )
    Image.new("RGB", (80, 70), (120, 30, 60)).save(tmp_path / "a.png")
    [prediction] = recipes.predict_files(model, [str(tmp_path / "a.png")], top=1)
    assert prediction.error is None and prediction.classes[0][1] != "class 0"  # ImageNet names
    assert seen == [{**checkpoint.preprocessing.to_dict(), "input_size": (3, 224, 224)}]
    views = []

    class RecordedError(Exception):
        pass

    def record(style, **kwargs):
        views.append(kwargs["preprocessing"])
        raise RecordedError

    monkeypatch.setattr(data, "evaluation_view", record)
    # No ImageNet here: the 1000-class model on fashion_mnist, which evaluate refuses as not
    # fitting (tests/test_recipes.py), only to record the view it asks for; a TFDS split
    # slice takes the tf.data path (the whole test split would be read into memory).
    monkeypatch.setattr(
        sys.modules["keras_resnet.recipes.evaluation"], "check_fits", lambda *a: None
    )
    with pytest.raises(RecordedError):
        recipes.evaluate(model, "fashion_mnist", split="test[:1]", data_dir=fashion_dir)
    assert views[-1] is model
    assert data.preprocessing_dict(views[-1]) == checkpoint.preprocessing.to_dict()

    path = str(tmp_path / "resnet18.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, keras_resnet.ResNetModel) and loaded.checkpoint == checkpoint
    batch = np.random.default_rng(0).normal(size=(2, 224, 224, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict_on_batch(batch), model.predict_on_batch(batch),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    assert len(calls) == 1  # loading the .keras file resolved nothing again


@pytest.mark.slow
def test_a_recipe_trained_model_carries_its_dataset_and_class_names(tmp_path, fashion_dir):
    result = recipes.train(
        "fashion_mnist_plain20", output_dir=str(tmp_path / "run"), steps=2, steps_per_epoch=2,
        batch_size=16, data_dir=fashion_dir, seed=0, validation_steps=1, verbose=0,
    )  # fmt: skip
    loaded = recipes.load_model(str(tmp_path / "run" / "last.keras"))
    for carried in (result.model.checkpoint, loaded.checkpoint):
        assert carried.preprocessing.dataset == "fashion_mnist"
        assert carried.class_names[:2] == ("T-shirt/top", "Trouser")
        assert (carried.arch, carried.shortcut, carried.num_classes) == ("plain20", "none", 10)

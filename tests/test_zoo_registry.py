"""The registry as data: names, pins, metadata, user registrations, ImageNet utilities."""

import re

import numpy as np
import pytest

import keras_resnet
from keras_resnet.checkpoint import PREPROCESSING_KEYS
from keras_resnet.zoo import registry

HEX40, HEX64 = re.compile(r"[0-9a-f]{40}"), re.compile(r"[0-9a-f]{64}")
# docs/hub_protocol.md: the pins known offline. Everything else must stay None.
KNOWN_PINS = {
    "resnet18.tv_in1k": ("a987fd6b60f845221bfff84b6f0191273ba56ead", "694f673d"),
    "resnet50.tv_in1k": ("aa6c2d36d56bc0209040c02b5a7b7d7bf11d57b8", "5d061a3c"),
    "resnet152.tv_in1k": ("2a9b5c2460893a2ab13d8625db2383f3094d704f", "15897077"),
    "resnet18.a1_in1k": ("ebd61f9c7420e5b5b53262b8ce6bbe311e1e872a", "80c49dee"),
    "resnet50.a1_in1k": ("5d9e13b8fdab4d9718bcf2c8f5c3af01878367e8", "773525d5"),
    "resnet34.tv_in1k": ("c983eba7f5e69bc3548a626d1b0b0b914e5de3a6", None),
}


def test_the_shipped_checkpoints_and_their_pins():
    names = registry.list_weights()
    expected = {f"resnet{d}.{t}" for d in (18, 34, 50, 101, 152) for t in ("tv_in1k", "a1_in1k")}
    expected |= {f"resnet{d}.tv2_in1k" for d in (50, 101, 152)}
    assert expected <= set(names)
    for name in expected:
        info = keras_resnet.weights_info(name)
        assert info["repo_id"] == f"timm/{name}" and info["filename"] == "model.safetensors"
        assert info["format"] == "timm" and info["variant"] == "v1.5"
        assert info["num_classes"] == 1000 and info["license"]
        assert isinstance(info["metrics"]["top1"], float)
        assert set(info["preprocessing"]) == set(PREPROCESSING_KEYS)
        revision, sha_prefix = KNOWN_PINS.get(name, (None, None))
        assert info["revision"] == revision
        assert (info["sha256"] or "")[:8] == (sha_prefix or "")
        if info["sha256"]:
            assert HEX64.fullmatch(info["sha256"])
        else:
            assert info["pin_note"], f"{name} must say that it is unpinned"
    assert keras_resnet.weights_info("resnet101.tv_in1k")["metrics"]["top1"] == 77.40
    assert keras_resnet.weights_info("resnet50.a1_in1k")["preprocessing"]["interpolation"] == (
        "bicubic"
    )


def test_imagenet_means_tv_in1k_and_tags_pick_others():
    assert registry.resolve("imagenet", arch="resnet152").name == "resnet152.tv_in1k"
    assert registry.resolve("tv2_in1k", arch="resnet50").name == "resnet50.tv2_in1k"
    assert registry.resolve("resnet34.a1_in1k", arch="resnet34").tag == "a1_in1k"
    with pytest.raises(ValueError, match=r"Unknown checkpoint name.*resnet50.tv_in1k"):
        keras_resnet.weights_info("resnet50.tv_in1")


def test_register_weights_validates_and_is_then_resolvable(monkeypatch):
    monkeypatch.setattr(registry, "_USER_ENTRIES", {})
    info = keras_resnet.register_weights(
        "resnet50.mine_in1k",
        repo_id="me/resnet50-mine",
        filename="model.safetensors",
        revision="a" * 40,
        sha256="b" * 64,
        format="timm",
        metrics={"top1": 70.0},
    )
    assert info["arch"] == "resnet50" and info["metrics"]["top1"] == 70.0
    assert registry.resolve("mine_in1k", arch="resnet50").repo_id == "me/resnet50-mine"
    good = dict(
        repo_id="me/x", filename="f.safetensors", revision="a" * 40, sha256="b" * 64, format="timm"
    )
    for change, text in [
        ({"revision": "main"}, "`revision`.*40-hex"),
        ({"sha256": "abc"}, "`sha256`.*64-hex"),
        ({"format": "pickle"}, "`format`.*'timm'"),
        ({"variant": "v2"}, "`variant`"),
        ({"repo_id": "nope"}, "`repo_id`"),
        ({"filename": None}, "`filename`.*Received: filename=None"),
        ({"filename": "../../etc/passwd"}, "`filename`.*inside its repository"),
        ({"num_classes": 0}, "`num_classes`.*positive integer"),
        ({"num_classes": 2, "class_names": ["cat"]}, "`class_names`.*None or 2 strings"),
        ({"preprocessing": {"crop_pct": 1.5}}, r"`crop_pct`.*\(0, 1\]"),
    ]:
        with pytest.raises(ValueError, match=text):
            keras_resnet.register_weights("resnet50.other", **{**good, **change})
    with pytest.raises(ValueError, match="`name`"):
        keras_resnet.register_weights("no-dot", **good)
    with pytest.raises(ValueError, match="shipped"):
        keras_resnet.register_weights("resnet50.tv_in1k", **good)


def test_decode_predictions_uses_the_shipped_class_index():
    scores = np.zeros((2, 1000), "float32")
    scores[0, 281], scores[0, 285], scores[1, 0] = 0.9, 0.05, 0.7
    decoded = keras_resnet.decode_predictions(scores, top=2)
    assert decoded[0][0] == ("n02123045", "tabby", pytest.approx(0.9))
    assert decoded[0][1][:2] == ("n02124075", "Egyptian_cat")
    assert decoded[1][0][:2] == ("n01440764", "tench")
    with pytest.raises(ValueError, match=r"\(samples, 1000\).*\(2, 10\)"):
        keras_resnet.decode_predictions(np.zeros((2, 10)))


def test_preprocess_input_follows_the_checkpoint():
    image = np.full((1, 2, 2, 3), 255.0, "float32")
    torch_style = keras_resnet.preprocess_input(image, weights="imagenet")
    np.testing.assert_allclose(
        torch_style[0, 0, 0],
        (1 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225]),
        rtol=1e-6,
    )
    caffe = keras_resnet.preprocess_input(image, weights="caffe")
    np.testing.assert_allclose(caffe[0, 0, 0], 255 - np.array([103.939, 116.779, 123.68]))
    with pytest.raises(ValueError, match=r"`weights`.*'caffe'.*weights='nope'"):
        keras_resnet.preprocess_input(image, weights="nope")

"""The converted-weights cache is verified on every read and never required to be writable."""

import os
import pathlib

import numpy as np
import pytest
from reference_weights import reference
from safetensors.numpy import save_file

import keras_resnet
from keras_resnet.io import sha256_file
from keras_resnet.zoo import cache, registry


def _conversion_path():
    return cache.converted_path(registry.get("resnet18.tv_in1k").sha256)


@pytest.mark.parametrize("damage", ["flip", "truncate", "no_digest"])
def test_a_damaged_cache_file_is_found_removed_and_not_loaded(warm_cache, damage):
    path = _conversion_path()
    model = keras_resnet.ResNet18(weights="imagenet")  # intact: loads offline
    np.testing.assert_array_equal(model.get_layer("conv1_conv").kernel.numpy(),
                                  warm_cache["conv1_conv/kernel"])  # fmt: skip
    file = pathlib.Path(path)
    content = bytearray(file.read_bytes())
    if damage == "flip":  # a flipped sign bit in the last tensor: same size, same header
        content[-5] ^= 0x80
        file.write_bytes(bytes(content))
    elif damage == "truncate":
        file.write_bytes(bytes(content[: len(content) // 2]))
    else:
        os.remove(path + ".sha256")
    # Offline, with no Hub download in the HF cache either: the offline error.
    with (
        pytest.warns(UserWarning, match="broken.*removed.*rebuilt"),
        pytest.raises(FileNotFoundError, match="offline"),
    ):
        keras_resnet.ResNet18(weights="imagenet")
    assert not os.path.exists(path) and not os.path.exists(path + ".sha256")


def test_an_unwritable_cache_converts_in_memory_with_a_warning(tmp_path, monkeypatch):
    state, _ = reference(18)
    source = tmp_path / "model.safetensors"
    save_file(state, str(source))
    checkpoint = registry.get("resnet18.tv_in1k")
    monkeypatch.setattr(cache.hub, "download_verified", lambda c: (str(source), checkpoint.sha256))
    blocker = tmp_path / "keras_home_is_a_file"
    blocker.write_text("")
    monkeypatch.setenv("KERAS_HOME", str(blocker))
    with pytest.warns(UserWarning, match="cannot be written.*kept in memory"):
        model = keras_resnet.ResNet18(weights="imagenet")
    np.testing.assert_allclose(model.get_layer("predictions").bias.numpy(), state["fc.bias"])
    assert sha256_file(str(source))  # the source is untouched


@pytest.mark.parametrize(
    "weights",
    ["hf://me/r@../../../../tmp/x", "hf://me/r@refs/pr/1", "hf://me/r@..", "hf://../r",
     "hf://me/..@main", "hf://me/r@a\\b"],
)  # fmt: skip
def test_hf_revisions_that_are_not_git_refs_are_refused_before_any_request(weights):
    with pytest.raises(ValueError, match=r"no '\.\.' or path separators"):
        keras_resnet.ResNet18(weights=weights)

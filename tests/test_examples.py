"""The scripts in examples/ answer --help, and those that can run here do, on tiny data."""

import importlib
import os
import sys

import keras
import numpy as np
import pytest
from PIL import Image

import keras_resnet

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples")
sys.path.insert(0, EXAMPLES)


@pytest.mark.parametrize("script", ["train_cifar10", "train_imagenet", "fine_tune", "predict"])
def test_example_answers_help(script, capsys, monkeypatch):
    module = importlib.import_module(script)
    monkeypatch.setattr(sys, "argv", [f"{script}.py", "--help"])
    with pytest.raises(SystemExit) as info:
        module.main()
    assert info.value.code == 0
    assert "usage:" in capsys.readouterr().out


@pytest.fixture
def photos(tmp_path):
    rng = np.random.default_rng(0)
    for label, colour in (("red", (200, 30, 30)), ("blue", (30, 30, 200))):
        folder = tmp_path / "photos" / label
        folder.mkdir(parents=True)
        for i in range(6):
            noise = rng.integers(0, 40, (36, 36, 3))
            Image.fromarray((np.array(colour) + noise).clip(0, 255).astype("uint8")).save(
                folder / f"{i}.png"
            )
    return tmp_path / "photos"


@pytest.mark.slow
def test_fine_tune_example_runs_the_recipe_and_predicts_with_its_model(photos, tmp_path, capsys):
    import fine_tune

    out = tmp_path / "run"
    fine_tune.main([str(photos), "--arch", "resnet20", "--weights", "none", "--image-size",
                    "32", "--batch-size", "4", "--epochs", "2", "--output", str(out)])  # fmt: skip
    assert (out / "best.keras").exists() and (out / "split.json").exists()
    printed = capsys.readouterr().out
    assert "blue: " in printed and "red: " in printed
    # The saved model carries its preprocessing and class names: predict needs nothing else.
    assert "red " in printed.splitlines()[-1] and "blue " in printed.splitlines()[-1]


def test_predict_example_classifies_and_skips_bad_files(photos, tmp_path, capsys):
    import predict

    path = tmp_path / "model.keras"
    keras_resnet.ResNet20(classes=2).save(path)
    (tmp_path / "bad.png").write_text("not an image")
    good = str(photos / "red" / "0.png")
    assert predict.main([str(path), good, str(tmp_path / "bad.png"), "--top", "2"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(good) and "class " in out
    assert "bad.png" in err


@pytest.mark.slow
def test_fine_tune_from_zoo_weights_normalises_like_the_checkpoint(photos, warm_cache, tmp_path):
    import fine_tune

    out = tmp_path / "run"
    fine_tune.main([str(photos), "--arch", "resnet18", "--image-size", "32", "--batch-size", "4",
                    "--epochs", "2", "--output", str(out)])  # fmt: skip
    model = keras.saving.load_model(out / "last.keras")
    normalize = model.get_layer("normalize")  # (x - mean) / std as scale and offset
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(normalize.scale, 1 / std, rtol=1e-6)
    np.testing.assert_allclose(normalize.offset, -mean / std, rtol=1e-6)
    backbone = model.get_layer("resnet18")
    # The zoo's weights were loaded, and BN ran in inference mode: its statistics are untouched.
    np.testing.assert_array_equal(backbone.get_layer("conv1_bn").moving_mean.numpy(),
                                  warm_cache["conv1_bn/moving_mean"])  # fmt: skip


def test_examples_start_quietly_and_refuse_in_one_line(photos, tmp_path, monkeypatch, capsys):
    import socket
    import subprocess

    from huggingface_hub import constants

    from keras_resnet.errors import run_script

    script = os.path.join(EXAMPLES, "fine_tune.py")  # a fresh process: Keras starts there
    shown = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr[-1000:]

    def refused(module: str, argv: list[str]) -> str:
        assert run_script(importlib.import_module(module).main, argv) == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1, error
        return error

    (tmp_path / "notes").mkdir()  # --output a folder of the user's: refused before training
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    error = refused("fine_tune", [str(photos), "--output", str(tmp_path / "notes")])
    assert "is not empty and holds no keras_resnet run" in error
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # offline, nothing cached
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    error = refused("fine_tune", [str(photos), "--arch", "resnet18", "--image-size", "32",
                                  "--output", str(tmp_path / "run")])  # fmt: skip
    assert "keras-resnet weights download resnet18.tv_in1k" in error

    def no_network(address, *args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket, "create_connection", no_network)  # CIFAR-10 is not on disk
    error = refused("train_cifar10", ["--steps", "2", "--data-dir", str(tmp_path / "tfds"),
                                      "--output", str(tmp_path / "run")])  # fmt: skip
    assert "'cifar10' is not prepared" in error
    with pytest.raises(SystemExit) as stop:  # a bad argument: argparse's own exit 2
        run_script(importlib.import_module("train_cifar10").main, ["--steps", "0"])
    assert stop.value.code == 2 and "whole number above 0" in capsys.readouterr().err

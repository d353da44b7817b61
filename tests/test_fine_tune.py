"""recipes.fine_tune and `keras-resnet finetune`: a user's class-per-folder images, two
phases, train's run folder (lock, refusals, no-op rerun, resume after kill -9 in either
phase, Ctrl-C in one line), outputs that predict / evaluate / export take, and no TensorFlow
needed."""

import csv
import json
import os
import re
import signal
import subprocess
import sys

import h5py
import numpy as np
import pytest
from helpers import (
    python_with_only_jax,
    random_bn_statistics,
    signal_when,
    start_interruptible,
)
from PIL import Image

import keras_resnet
from keras_resnet import cli, recipes

CLASSES = ("ants", "bees", "cats")
#: Small and quick: ResNet-20 on 3 classes x 8 images of 20x24 (6 train, 2 held out each).
SETTINGS = dict(arch="resnet20", image_size=32, batch_size=4, epochs=2, head_epochs=1, seed=0)


def _tree(root) -> str:
    """Three classes told apart by colour, and one file that is not an image."""
    rng = np.random.default_rng(0)
    for label, name in enumerate(CLASSES):
        os.makedirs(root / name)
        for index in range(8):
            pixels = rng.integers(0, 60, (20, 24, 3)).astype(np.uint8)
            pixels[..., label] += 150
            Image.fromarray(pixels).save(root / name / f"{index}.png")
    (root / "bees" / "broken.jpg").write_bytes(b"not an image")
    return str(root)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return _tree(tmp_path_factory.mktemp("photos") / "photos")


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """A one-channel ResNet-20 with a 5-class head, as `keras-resnet train` on Fashion-MNIST
    writes one, with BN statistics no fresh model has."""
    model = keras_resnet.ResNet20(input_shape=(32, 32, 1), classes=5)
    random_bn_statistics(model, np.random.default_rng(1))
    path = str(tmp_path_factory.mktemp("pretrained") / "fm5.weights.h5")
    model.save_weights(path)
    return path


@pytest.fixture(scope="module")
def run(tree, pretrained, tmp_path_factory):
    output = str(tmp_path_factory.mktemp("runs") / "ants_bees_cats")
    with pytest.warns(UserWarning, match=r"fine_tune: skipped 1 of 25 files.*broken\.jpg"):
        result = recipes.fine_tune(tree, weights=pretrained, output_dir=output, verbose=0,
                                   **SETTINGS)  # fmt: skip
    return result


def _json(folder, name):
    with open(os.path.join(folder, name)) as f:
        return json.load(f)


def test_a_run_writes_its_outputs_and_metrics(run, tree):
    names = sorted(os.listdir(run.output_dir))
    for name in ("best.keras", "last.keras", "history.csv", "metrics.json", "error.png",
                 "confusion.png", "split.json", "recipe.json"):  # fmt: skip
        assert name in names
    assert not any(name.startswith("backup") for name in names)  # removed once finished
    metrics = _json(run.output_dir, "metrics.json")
    assert metrics["class_names"] == list(CLASSES) and metrics["iterations"] == 2 * 5
    assert metrics["class_counts"]["ants"] == {"training": 6, "held_out": 2}
    assert metrics["validation_images"] == 6 and 0 <= metrics["validation_accuracy"] <= 1
    assert set(metrics["per_class_accuracy"]) == set(CLASSES) and metrics["images_per_second"] > 0
    assert np.sum(metrics["confusion"]) == 6
    with open(os.path.join(run.output_dir, "history.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [int(float(r["iterations"])) for r in rows] == [5, 10]
    split = _json(run.output_dir, "split.json")
    assert split["root"] == os.path.abspath(tree) and len(split["validation"]) == 6


def test_the_backbone_starts_from_the_file_and_its_batch_norm_stays_frozen(run, pretrained):
    tuned = recipes.load_model(os.path.join(run.output_dir, "last.keras"))
    backbone = next(layer for layer in tuned.layers if hasattr(layer, "layers"))
    assert tuned.input_shape == (None, 32, 32, 1)  # the file's one channel: images read grey
    with h5py.File(pretrained, "r") as saved:
        stored = np.asarray(saved["layers/batch_normalization/vars/2"])  # the stem BN's moving mean
    np.testing.assert_array_equal(backbone.get_layer("conv1_bn").moving_mean.numpy(), stored)
    first = backbone.get_layer("conv1_conv").kernel.numpy()
    with h5py.File(pretrained, "r") as saved:
        change = np.abs(first - saved["layers/conv2d/vars/0"][:]).max()
    assert change > 0, change  # tuned in phase 2


def test_predict_evaluate_and_export_take_the_model_as_it_is(run, tree, tmp_path, capsys):
    best = os.path.join(run.output_dir, "best.keras")
    model = recipes.load_model(best)
    assert model.checkpoint.class_names == CLASSES
    with pytest.warns(UserWarning, match="broken.jpg"):
        scores = recipes.evaluate_folder(model, tree)
    assert scores["images"] == 24 and scores["class_counts"] == dict.fromkeys(CLASSES, 8)
    assert cli.main(["predict", "--model", best, os.path.join(tree, "ants", "0.png")]) == 0
    printed = capsys.readouterr().out
    assert printed.split(": ")[1].split()[0] in CLASSES
    os.makedirs(tmp_path / "other" / "wasps")
    Image.new("RGB", (8, 8)).save(tmp_path / "other" / "wasps" / "a.png")
    with pytest.raises(ValueError, match=r"classes the model does not know: \['wasps'\]"):
        recipes.evaluate_folder(model, str(tmp_path / "other"))


def test_a_finished_run_is_not_trained_again_and_other_settings_are_refused(run, tree):
    before = {n: os.stat(os.path.join(run.output_dir, n)).st_mtime_ns for n in ("last.keras",
              "metrics.json")}  # fmt: skip
    stored = recipes.fine_tune(tree, weights=run.metrics["weights"], output_dir=run.output_dir,
                               verbose=0, **SETTINGS)  # fmt: skip
    assert stored.history is None and stored.metrics == run.metrics
    after = {n: os.stat(os.path.join(run.output_dir, n)).st_mtime_ns for n in before}
    assert after == before
    with pytest.raises(ValueError, match=r"holds a run of 'fine_tune' with other settings"):
        recipes.fine_tune(tree, weights=None, output_dir=run.output_dir, **SETTINGS)


def test_arguments_are_checked_before_anything_is_written(tree, tmp_path):
    output = tmp_path / "run"
    for bad, match in (
        ({"epochs": 0}, r"`epochs` argument should be a positive integer"),
        ({"head_epochs": 3}, r"`head_epochs` argument should be an integer from 0 to epochs"),
        ({"learning_rate": -1.0}, r"`learning_rate` argument should be a positive number"),
        ({"validation_split": 1.0}, r"`validation_split` argument"),
        ({"class_weight": "even"}, r"`class_weight` argument should be one of"),
        ({"arch": "resnet21"}, r"resnet21"),
    ):  # fmt: skip
        with pytest.raises(ValueError, match=match):
            recipes.fine_tune(tree, output_dir=str(output), **{**SETTINGS, **bad})
    assert not output.exists()
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"not empty and holds no keras_resnet run"):
        recipes.fine_tune(tree, output_dir=str(foreign), weights=None, **SETTINGS)
    assert os.listdir(foreign) == ["todo.txt"]


def test_the_command_refuses_bad_arguments_before_keras_starts(tmp_path, capsys):
    for argv, match in (
        (["finetune", str(tmp_path / "none")], "IMAGES '.*none' is not a folder"),
        (["finetune", str(tmp_path), "--arch", "resnet21"], "resnet21"),
        (["finetune", str(tmp_path), "--validation-split", "2"], "--validation-split 2"),
        (["evaluate", "resnet20", "--images", str(tmp_path / "none")], "--images"),
    ):  # fmt: skip
        with pytest.raises(SystemExit) as stop:
            cli.main(argv)
        assert stop.value.code == 2
        error = capsys.readouterr().err
        assert len(error.strip().splitlines()) == 1 and re.search(match, error)


def _command(tree, output) -> list[str]:
    return [sys.executable, "-m", "keras_resnet.cli", "finetune", str(tree), "--arch", "resnet20",
            "--weights", "none", "--image-size", "32", "--batch-size", "4", "--epochs", "6",
            "--head-epochs", "1", "--output", str(output)]  # fmt: skip


def _epochs(output, backup: str) -> int:
    try:
        with open(output / backup / "training_metadata.json") as f:
            return json.load(f)["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


def test_a_killed_run_resumes_in_either_phase_and_ctrl_c_says_one_line(tree, tmp_path):
    import shutil

    tree = shutil.copytree(tree, tmp_path / "photos")  # it grows below
    output = tmp_path / "run"
    first = subprocess.Popen(_command(tree, output), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    signal_when([(first, lambda: _epochs(output, "backup") >= 1, signal.SIGKILL)])
    first.wait()  # killed -9 at the end of the head phase
    recorded = _json(output, "split.json")
    Image.new("RGB", (20, 24)).save(tree / "ants" / "new.png")  # not in the recorded split
    second = start_interruptible(_command(tree, output), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)  # fmt: skip
    # Interrupted in the whole phase: after its second epoch, with four left (an epoch of
    # these tiny images can take a quarter of a second: the signal lands in one of them).
    signal_when([(second, lambda: _epochs(output, "backup_whole") >= 2, signal.SIGINT)])
    error = second.communicate(timeout=120)[1]
    assert second.returncode == 130
    stopped = re.fullmatch(
        r"keras-resnet finetune: interrupted after epoch (\d); rerun the same command to resume",
        error.strip().splitlines()[-1],
    )
    assert stopped and 2 <= int(stopped[1]) < 6, error[-2000:]
    with pytest.warns(UserWarning, match="broken.jpg"):
        result = recipes.fine_tune(str(tree), output_dir=str(output), weights=None, verbose=0,
                                   **{**SETTINGS, "epochs": 6})  # fmt: skip
    assert _json(output, "split.json") == recorded  # the resumed run held out what it held out
    assert result.metrics["class_counts"]["ants"] == {"training": 6, "held_out": 2}
    with open(output / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3, 4, 5]
    assert [int(float(r["iterations"])) for r in rows] == [5, 10, 15, 20, 25, 30]
    assert result.metrics["iterations"] == 30
    assert len(result.history.epoch) == 6 - int(stopped[1])  # only the epochs left


@pytest.mark.slow
def test_the_command_runs_without_tensorflow(tree, tmp_path, tmp_path_factory):
    output = tmp_path / "run"
    code = (
        "import sys\n"
        "from keras_resnet import cli\n"
        f"argv = {_command(tree, output)[3:]!r}\n"
        "argv[argv.index('--epochs') + 1] = '2'\n"
        "code = cli.main(argv)\n"
        f"code += cli.main(['evaluate', {str(output / 'best.keras')!r}, '--images', {tree!r}])\n"
        "import keras\n"
        "print('exit', code, keras.backend.backend(), 'tensorflow' in sys.modules)\n"
    )
    farm = tmp_path_factory.getbasetemp() / "without_tensorflow"
    words, errors = python_with_only_jax(code, farm)
    assert words[-4:] == ["exit", "0", "jax", "False"], errors[-2000:]
    assert "held-out accuracy" in " ".join(words) and "accuracy" in words


def _readme_quickstart() -> str:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "README.md")) as f:
        text = f.read()
    section = text[text.index("## Quickstart") :]
    start = section.index("```python\n") + len("```python\n")
    return section[start : section.index("\n```", start)]


@pytest.mark.slow
def test_the_readme_quickstart_runs_as_written(fashion_dir, tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(2)
    for label, name in enumerate(("cats", "dogs")):
        os.makedirs(tmp_path / "photos" / name)
        for index in range(1, 6):
            pixels = rng.integers(0, 90, (48, 64, 3)).astype(np.uint8)
            pixels[..., label] += 120
            Image.fromarray(pixels).save(tmp_path / "photos" / name / f"{index}.jpg")
    monkeypatch.chdir(tmp_path)
    exec(compile(_readme_quickstart(), "README.md", "exec"), {})  # as a user pastes it
    printed = capsys.readouterr().out
    assert "25,610,152 parameters" in printed  # Keras' count: with BN's moving statistics
    assert "Prediction(" in printed and "'dogs'" in printed and "'cats'" in printed
    assert os.path.isfile("runs/photos/best.keras") and os.path.isfile("runs/fm20/metrics.json")


def test_random_weights_without_a_held_out_split_train_batch_norm_and_log_no_na(tree, tmp_path):
    output = tmp_path / "run"
    with pytest.warns(UserWarning, match="broken.jpg"):
        result = recipes.fine_tune(tree, output_dir=str(output), weights=None, verbose=0,
                                   **{**SETTINGS, "epochs": 1, "head_epochs": 0},
                                   validation_split=0)  # fmt: skip
    with open(output / "history.csv") as f:
        header = f.readline().strip().split(",")
    assert "val_loss" not in header and "NA" not in (output / "history.csv").read_text()
    assert "validation_accuracy" not in result.metrics and (output / "best.keras").exists()
    backbone = next(layer for layer in result.model.layers if hasattr(layer, "layers"))
    moving = backbone.get_layer("conv1_bn").moving_mean.numpy()
    assert np.abs(moving).max() > 0  # random BN statistics have nothing to keep: BN trained

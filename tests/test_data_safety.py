"""Nothing a user owns is lost, and nothing wrong is reported as right: foreign and damaged
run folders, resume state that does not add up, special files, zip bombs, offline machines."""

import glob
import importlib
import json
import os
import pathlib
import shutil
import socket
import zipfile

import h5py
import keras
import numpy as np
import pytest
from PIL import Image

import keras_resnet
from keras_resnet import cli, recipes
from keras_resnet.checkpoint import Checkpoint, Preprocessing
from keras_resnet.recipes.run_folder import RunFolder, checked_history_rows, resume_state

# The module of `recipes.train`.
train_module = importlib.import_module("keras_resnet.recipes.training")
RECIPE = "fashion_mnist_resnet20"
TINY = {"steps": 2, "steps_per_epoch": 1, "batch_size": 32, "validation_steps": 1, "seed": 0}
HEADER = "epoch,accuracy,epoch_seconds,iterations,learning_rate,loss,val_accuracy,val_loss\n"


def _row(epoch: int, per_epoch: int = 1) -> str:
    return f"{epoch},0.5,1.0,{(epoch + 1) * per_epoch},0.1,1.5,0.5,1.5\n"


def _run_folder(path, history: str | bytes | None = None) -> str:
    """A folder that holds a run of RECIPE (its recipe.json), with ``history`` if given."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "recipe.json").write_text(recipes.get(RECIPE).to_json())
    if isinstance(history, str):
        (path / "history.csv").write_text(history)
    elif history is not None:
        (path / "history.csv").write_bytes(history)
    return str(path)


def _backup(folder, epoch: int, *, latest: bool = True, previous: int | None = None) -> None:
    backup = os.path.join(folder, "backup")
    os.makedirs(backup, exist_ok=True)
    if latest:
        with h5py.File(os.path.join(backup, "latest.weights.h5"), "w") as handle:
            handle["x"] = np.zeros(3)
        with open(os.path.join(backup, "training_metadata.json"), "w") as handle:
            json.dump({"epoch": epoch, "batch": 0}, handle)
    if previous is not None:
        with h5py.File(os.path.join(backup, "latest.weights.h5.bkp"), "w") as handle:
            handle["x"] = np.zeros(3)
        with open(os.path.join(backup, "training_metadata.json.bkp"), "w") as handle:
            json.dump({"epoch": previous, "batch": 0}, handle)


def test_a_foreign_folder_is_refused_untouched(tmp_path, fashion_dir):
    user = tmp_path / "mine"
    (user / "backup").mkdir(parents=True)
    (user / "backup" / "draft.txt").write_text("my draft")
    (user / "history.csv").write_text("my,own\n1,2\n")
    before = {p: p.read_bytes() for p in user.rglob("*") if p.is_file()}
    with pytest.raises(ValueError, match=r"`output_dir`.*holds no keras_resnet run.*another"):
        recipes.train(RECIPE, output_dir=str(user), data_dir=fashion_dir, **TINY)
    assert {p: p.read_bytes() for p in user.rglob("*") if p.is_file()} == before
    # A run's history.csv that is a link to a user's file: refused, the file untouched.
    run = _run_folder(tmp_path / "run")
    os.symlink(user / "history.csv", os.path.join(run, "history.csv"))
    with pytest.raises(ValueError, match=r"history\.csv' is a symbolic link"):
        recipes.train(RECIPE, output_dir=run, data_dir=fashion_dir, **TINY)
    assert (user / "history.csv").read_text() == "my,own\n1,2\n"


@pytest.mark.parametrize(
    "content, why",
    [
        (HEADER + _row(0) + "1,0.5,1.0,2,0.1\n", r"line 3 has 5 fields"),  # a short row
        (HEADER + _row(0) + _row(1)[:-3], r"its last line \(line 3\) is cut off"),  # cut mid-number
        (HEADER.encode() + b"\xff\xfe\x00garbage\n", r"it is not text"),
        ("name,value\nx,1\n", r"its header 'name,value' is not a run's"),
        (HEADER + _row(0) + _row(2), r"line 3 is epoch 2, not 1 \(an epoch is missing\)"),
        (HEADER + _row(0).replace("0.5", "nan?", 1), r"line 2 holds a value that is not a number"),
    ],
)  # fmt: skip
def test_a_damaged_history_is_refused_by_name(tmp_path, content, why):
    folder = _run_folder(tmp_path / "run", content)
    with pytest.raises(ValueError, match=rf"history\.csv' is damaged: {why}"):
        RunFolder(folder).resume_epochs(num_epochs=4, steps_per_epoch=1)


def test_a_resume_state_that_does_not_add_up_is_refused(tmp_path, fashion_dir, capsys):
    folder = _run_folder(tmp_path / "run", HEADER + _row(0) + _row(1))
    _backup(folder, epoch=4)  # claims every epoch, two were trained
    with pytest.raises(ValueError, match=r"metadata\.json' is damaged: it records 4 finished "
                                         r"epochs, but the history\.csv beside backup/ "
                                         r"lists 2"):  # fmt: skip
        RunFolder(folder).resume_epochs(num_epochs=4, steps_per_epoch=1)
    with pytest.raises(SystemExit) as exit_code:
        cli.main(["train", "--recipe", RECIPE, "--steps", "4", "--steps-per-epoch", "1",
                  "--data-dir", fashion_dir, "--output", folder])  # fmt: skip
    assert exit_code.value.code == 2 and "records 4 finished epochs" in capsys.readouterr().err
    assert not os.path.exists(os.path.join(folder, "metrics.json"))
    _run_folder(tmp_path / "run", HEADER + "".join(_row(epoch) for epoch in range(6)))
    _backup(folder, epoch=6)
    with pytest.raises(ValueError, match=r"records 6 finished epochs; this run has 4"):
        RunFolder(folder).resume_epochs(num_epochs=4, steps_per_epoch=1)
    _run_folder(tmp_path / "run", HEADER + _row(0) + _row(1))
    _backup(folder, epoch=2)
    with pytest.raises(ValueError, match=r"epochs of 1 iterations .* not 5: resume it with"):
        RunFolder(folder).resume_epochs(num_epochs=4, steps_per_epoch=5)
    assert RunFolder(folder).resume_epochs(num_epochs=4, steps_per_epoch=1) == 2
    (tmp_path / "run" / "backup" / "training_metadata.json").write_text("{garbage")
    with pytest.raises(ValueError, match=r"training_metadata\.json' is damaged"):
        RunFolder(folder).resume_epochs(num_epochs=4, steps_per_epoch=1)


def test_a_damaged_latest_backup_falls_back_to_its_copy_with_a_warning(tmp_path):
    folder = _run_folder(tmp_path / "run", HEADER + _row(0) + _row(1) + _row(2))
    _backup(folder, epoch=3, previous=2)
    latest = os.path.join(folder, "backup", "latest.weights.h5")
    assert resume_state(os.path.dirname(latest)) == (3, latest)
    with open(latest, "r+b") as handle:
        handle.truncate(os.path.getsize(latest) // 2)
    with pytest.warns(UserWarning, match=r"cannot be read as HDF5.*resuming from .*\.bkp' \(after "
                                         r"epoch 2"):  # fmt: skip
        assert RunFolder(folder).resume_epochs(num_epochs=4, steps_per_epoch=1) == 2
    assert resume_state(os.path.dirname(latest)) == (2, latest)  # the copy put in its place
    os.remove(latest)
    os.remove(latest + ".bkp")
    with h5py.File(latest, "w") as handle:
        handle["x"] = np.zeros(3)
    with open(latest, "r+b") as handle:
        handle.truncate(os.path.getsize(latest) // 2)
    with pytest.raises(ValueError, match=r"latest\.weights\.h5' is damaged: .*no intact \.bkp"):
        resume_state(os.path.dirname(latest))


@pytest.fixture(scope="module")
def failed_at_the_end(tmp_path_factory, fashion_dir):
    """A tiny run whose metrics.json could not be written (a full disk at the very end)."""
    out = str(tmp_path_factory.mktemp("end") / "run")

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train_module, "_write_outputs", full_disk)
        with pytest.raises(OSError, match="No space left"):
            recipes.train(RECIPE, output_dir=out, data_dir=fashion_dir, verbose=0, **TINY)
    return out


def _copy_of(run: str, folder) -> str:
    """A copy of ``run`` (its resume state after epoch 2 of 2, the .bkp after epoch 1)."""
    return str(shutil.copytree(run, folder / "run"))


def _files(folder: str) -> dict:
    paths = glob.glob(f"{folder}/**", recursive=True)
    return {p: pathlib.Path(p).read_bytes() for p in paths if os.path.isfile(p)}


def _train_cli(run: str, fashion_dir: str, capsys, *more: str) -> str:
    """``keras-resnet train`` of TINY into ``run``; asserts a one-line refusal, returns it."""
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "--recipe", RECIPE, "--steps", "2", "--steps-per-epoch", "1",
                  "--batch-size", "32", "--validation-steps", "1", "--seed", "0",
                  "--data-dir", fashion_dir, "--output", run, *more])  # fmt: skip
    captured = capsys.readouterr()
    assert info.value.code == 2 and captured.err.count("\n") == 1, captured.err
    return captured.err


def test_weights_that_disagree_with_their_metadata_resume_from_the_consistent_copy(
    failed_at_the_end, fashion_dir, tmp_path, capsys
):
    run = _copy_of(failed_at_the_end, tmp_path)
    metadata = os.path.join(run, "backup", "training_metadata.json")
    with open(metadata, "w") as handle:  # killed after the weights of epoch 2, before this
        json.dump({"epoch": 1, "batch": 0}, handle)
    with open(metadata + ".bkp", "w") as handle:  # and the copy claims epoch 2 too
        json.dump({"epoch": 2, "batch": 0}, handle)
    before = _files(run)
    error = _train_cli(run, fashion_dir, capsys)
    assert "latest.weights.h5' is damaged: its optimizer has trained 2 iterations, but" in error
    assert "records epoch 1, which history.csv ends at iteration 1, and there is no intact" in error
    assert _files(run) == before  # refused before anything was rewritten
    with open(metadata + ".bkp", "w") as handle:  # the copy consistent: it is resumed from
        json.dump({"epoch": 1, "batch": 0}, handle)
    with pytest.warns(UserWarning, match=r"optimizer has trained 2 iterations.*resuming from "
                                         r"its previous copy .*\(after epoch 1\)"):  # fmt: skip
        result = recipes.train(RECIPE, output_dir=run, data_dir=fashion_dir, verbose=0, **TINY)
    assert result.metrics["iterations"] == 2
    rows = checked_history_rows(os.path.join(run, "history.csv"))
    assert [row["iterations"] for row in rows] == [1, 2]


def test_a_half_zeroed_resume_state_falls_back_to_its_copy_or_is_refused_in_one_line(
    failed_at_the_end, fashion_dir, tmp_path, capsys
):
    run = _copy_of(failed_at_the_end, tmp_path)
    latest = os.path.join(run, "backup", "latest.weights.h5")
    _zero_second_half(latest)
    with pytest.warns(UserWarning, match=r"cannot be read as HDF5.*its previous copy"):
        assert RunFolder(run).resume_epochs(num_epochs=2, steps_per_epoch=1) == 1
    _zero_second_half(latest)
    _zero_second_half(latest + ".bkp")
    error = _train_cli(run, fashion_dir, capsys)
    assert "latest.weights.h5' is damaged: it cannot be read as HDF5" in error


def _zero_second_half(path: str) -> None:
    """The file's header intact, its second half zeroed."""
    size = os.path.getsize(path)
    with open(path, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(bytes(size - size // 2))


def test_a_forged_pipeline_or_metrics_file_is_refused_in_one_line(
    failed_at_the_end, fashion_dir, tmp_path, capsys
):
    run = _copy_of(failed_at_the_end, tmp_path)
    pipeline = os.path.join(run, "backup", "pipeline.txt")
    with open(pipeline) as handle:
        assert handle.read() == "memory\n"
    with open(pipeline, "w") as handle:
        handle.write("\x00garbage")
    error = _train_cli(run, fashion_dir, capsys)
    assert r"pipeline.txt' is damaged: it holds '\x00garbage', not one of memory, tfdata" in error
    with open(pipeline, "w") as handle:  # the other pipeline, named by the file or the user
        handle.write("tfdata\n")
    error = _train_cli(run, fashion_dir, capsys)
    assert "do not fit the model of this run" in error and "Warning" not in error
    with open(pipeline, "w") as handle:
        handle.write("memory\n")
    error = _train_cli(run, fashion_dir, capsys, "--pipeline", "tfdata")
    assert "was started with --pipeline 'memory'" in error
    with open(os.path.join(run, "metrics.json"), "w") as handle:
        handle.write("{}")
    error = _train_cli(run, fashion_dir, capsys)
    assert "metrics.json' is damaged: it lacks recipe, test_accuracy, test_error" in error


def test_the_resume_state_outlives_a_failure_at_the_end_of_a_run(failed_at_the_end, fashion_dir):
    out = failed_at_the_end
    assert os.path.isfile(os.path.join(out, "backup", "latest.weights.h5"))
    assert not os.path.exists(os.path.join(out, "metrics.json"))
    result = recipes.train(RECIPE, output_dir=out, data_dir=fashion_dir, verbose=0, **TINY)
    assert result.metrics["iterations"] == 2 and not os.path.exists(os.path.join(out, "backup"))
    assert [row["epoch"] for row in checked_history_rows(os.path.join(out, "history.csv"))] == [
        0,
        1,
    ]


def test_a_runs_own_model_file_is_a_weights_file(failed_at_the_end, fashion_dir):
    best = os.path.join(failed_at_the_end, "best.keras")
    with zipfile.ZipFile(best) as archive:  # a trained model: its optimizer's state is saved
        assert b"optimizer" in archive.read("model.weights.h5")
    info = keras_resnet.data.info("fashion_mnist", fashion_dir)
    model = train_module._build_model(recipes.get(RECIPE), info, best)  # train --weights
    saved = keras.saving.load_model(best)
    pairs = zip(model.get_weights(), saved.get_weights(), strict=True)
    assert all(np.array_equal(a, b) for a, b in pairs)
    keras_resnet.get_model("resnet20", weights=best, input_shape=(32, 32, 1), classes=10)


def test_a_failed_model_save_names_the_file(tmp_path, monkeypatch):
    from keras_resnet.recipes.callbacks import AtomicModelCheckpoint

    model = keras_resnet.ResNet20()
    monkeypatch.setattr(model, "save", lambda path: (_ for _ in ()).throw(OSError(28, "full")))
    checkpoint = AtomicModelCheckpoint(str(tmp_path / "last.keras"))
    checkpoint.set_model(model)
    with pytest.raises(OSError, match=r"Cannot save the model to '.*last\.keras'.*full"):
        checkpoint.on_epoch_end(0)


def test_a_full_disk_under_the_weights_cache_keeps_the_weights_in_memory(tmp_path, monkeypatch):
    import safetensors.numpy
    from reference_weights import reference
    from safetensors import SafetensorError

    from keras_resnet.zoo import cache, registry

    state, _ = reference(18)
    source = tmp_path / "model.safetensors"
    safetensors.numpy.save_file(state, str(source))
    checkpoint = registry.get("resnet18.tv_in1k")
    monkeypatch.setattr(cache.hub, "download_verified", lambda c: (str(source), checkpoint.sha256))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))

    def too_large(*args, **kwargs):
        raise SafetensorError("Error while serializing: IoError(File too large (os error 27))")

    monkeypatch.setattr(safetensors.numpy, "save_file", too_large)
    with pytest.warns(UserWarning, match=r"cannot be written.*File too large.*in memory"):
        model = keras_resnet.ResNet18(weights="imagenet")
    np.testing.assert_allclose(model.get_layer("predictions").bias.numpy(), state["fc.bias"])


def test_predict_skips_special_files_never_downloads_and_escapes_names(tmp_path, capsys):
    image = tmp_path / "good.png"
    Image.new("RGB", (32, 32), (200, 10, 10)).save(image)
    os.mkfifo(tmp_path / "x.jpg")  # opened for reading, it would block forever
    model = keras_resnet.ResNet20(classes=2)
    model.checkpoint = Checkpoint("mine", "resnet20", num_classes=2,
                                  class_names=("red\x1b[2J", "blue\x9b1m"))  # fmt: skip
    path = str(tmp_path / "m.keras")
    model.save(path)
    assert cli.main(["predict", str(image), str(tmp_path / "x.jpg"), "--model", path]) == 0
    out, err = capsys.readouterr()
    assert "x.jpg: error: not a regular file" in err and "good.png: " in out
    assert "\x1b" not in out and "\x9b" not in out
    assert "red\\x1b[2J" in out and "blue\\x9b1m" in out
    # A model that carries a dataset not on disk: refused at once, nothing downloaded.
    model.checkpoint = Checkpoint(
        "mine", "resnet20", num_classes=100, preprocessing=Preprocessing(dataset="cifar100")
    )
    hundred = keras_resnet.ResNet20(classes=100)
    hundred.checkpoint = model.checkpoint
    with pytest.raises(FileNotFoundError, match=r"'cifar100' is not prepared .*download=False"):
        recipes.predict_files(hundred, [str(image)], data_dir=str(tmp_path / "tfds"))


def _bomb(path, member: str, size: int) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(member, "w", force_zip64=True) as handle:
            chunk = b"\0" * (1 << 20)
            for _ in range(size >> 20):
                handle.write(chunk)
        archive.writestr("metadata.json", "{}")
    return str(path)


def test_zip_bombs_in_keras_files_are_refused_before_reading(tmp_path):
    config = _bomb(tmp_path / "config.keras", "config.json", 65 << 20)
    assert os.path.getsize(config) < 1 << 20
    with pytest.raises(ValueError, match=r"member 'config\.json' of 68,157,440 bytes.*zip bomb"):
        recipes.load_model(config)
    with pytest.raises(ValueError, match=r"zip bomb"):
        keras_resnet.ResNet20(weights=config)


def test_offline_fails_fast_with_one_connection_attempt(tmp_path, monkeypatch):
    from huggingface_hub import constants

    attempts = []

    def refuse(address, *args, **kwargs):
        attempts.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    # A 1-channel model against cifar10: refused before any download is tried.
    with pytest.raises(ValueError, match=r"1-channel images but cifar10's images have 3"):
        recipes.evaluate(keras_resnet.ResNet20(input_shape=(32, 32, 1)), "cifar10",
                         data_dir=str(tmp_path / "tfds"))  # fmt: skip
    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(FileNotFoundError, match=r"'cifar10' is not prepared.*could not be reached"):
        keras_resnet.data.get_builder("cifar10", str(tmp_path / "tfds"))
    assert len(attempts) == 1
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(FileNotFoundError, match=r"could not be reached.*HF_HUB_OFFLINE=1"):
        keras_resnet.ResNet18(weights="imagenet")
    # The probe, and at most the client's own user-agent lookup: no retry loop (7 attempts
    # and 23 s before the probe).
    assert len(attempts) <= 3


def test_quiet_tfds_hides_its_notes_on_an_unprepared_dataset(tmp_path, capfd):
    import tensorflow_datasets as tfds

    from keras_resnet.data.local_builders import quiet_tfds

    with quiet_tfds():
        assert not tfds.builder("mnist", data_dir=str(tmp_path)).is_prepared()
    captured = capfd.readouterr()
    assert "dataset_info.json" not in captured.err + captured.out


def test_a_resume_state_whose_optimizer_differs_is_refused_not_skipped(tmp_path):
    import keras

    from keras_resnet.recipes.run_folder import RunFolder

    def model(optimizer):
        net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        net.compile(optimizer=optimizer, loss="mse")
        net.fit(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)
        return net

    (tmp_path / "backup").mkdir()
    folder = RunFolder(str(tmp_path))
    model(keras.optimizers.SGD(0.1, momentum=0.9)).save_weights(
        str(tmp_path / "backup" / "latest.weights.h5")
    )
    with pytest.raises(ValueError, match=r"optimizer state does not fit the optimizer of this run"):
        folder.check_state_fits(model(keras.optimizers.Adam()))  # Keras only warns
    folder.check_state_fits(model(keras.optimizers.SGD(0.1, momentum=0.9)))

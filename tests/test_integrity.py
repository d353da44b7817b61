"""Integrity under abuse: concurrent runs, hostile files, file permissions, model files."""

import json
import os
import socket
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

from keras_resnet import cli, recipes
from keras_resnet.lock import LOCK_FILE, DirectoryInUseError, directory_lock


def _lock_held_by(folder, pid: int, host: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    holder = {"pid": pid, "host": host or socket.gethostname(), "since": 0}
    (folder / LOCK_FILE).write_text(json.dumps(holder))


@pytest.fixture
def live_process():
    """A process that stays alive for the test (a second run's competitor)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process.pid
    process.kill()
    process.wait()


def test_a_second_train_into_a_locked_output_stops_before_writing(
    tmp_path, fashion_dir, live_process, capsys
):
    out = tmp_path / "run"
    _lock_held_by(out, live_process)
    with pytest.raises(DirectoryInUseError, match=rf"in use by pid {live_process} "):
        recipes.train("fashion_mnist_resnet20", output_dir=str(out), data_dir=fashion_dir, steps=2)
    assert sorted(os.listdir(out)) == [LOCK_FILE]  # nothing written, the holder's lock kept
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "--recipe", "fashion_mnist_resnet20", "--output", str(out),
                  "--data-dir", fashion_dir, "--steps", "2"])  # fmt: skip
    assert info.value.code == 2
    error = capsys.readouterr().err
    assert f"in use by pid {live_process}" in error and "Traceback" not in error
    assert sorted(os.listdir(out)) == [LOCK_FILE]
    (tmp_path / "a_file").write_text("")  # an output that is a file, or lies under one
    for output in ("a_file", "a_file/run"):
        with pytest.raises(SystemExit):
            cli.main(["train", "--recipe", "fashion_mnist_resnet20", "--steps", "2",
                      "--output", str(tmp_path / output), "--data-dir", fashion_dir])  # fmt: skip
        error = capsys.readouterr().err
        assert "The `output_dir` argument should be a directory" in error, error
        assert f"output_dir={str(tmp_path / output)!r}" in error


def test_a_lock_on_another_host_is_refused_and_a_dead_holders_lock_is_taken_over(tmp_path):
    _lock_held_by(tmp_path / "far", 1, host="another-host")
    with (
        pytest.raises(DirectoryInUseError, match="in use by pid 1 on another-host"),
        directory_lock(str(tmp_path / "far")),
    ):
        pass
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    _lock_held_by(tmp_path / "stale", int(finished.stdout))
    dead = int(finished.stdout)
    with (
        pytest.warns(UserWarning, match=f"pid {dead}, which is no longer running"),
        directory_lock(str(tmp_path / "stale")) as path,
    ):
        with open(path) as handle:
            assert json.load(handle)["pid"] == os.getpid()
        with (
            pytest.raises(DirectoryInUseError, match=f"in use by pid {os.getpid()}"),
            directory_lock(str(tmp_path / "stale")),
        ):
            pass
    assert not (tmp_path / "stale" / LOCK_FILE).exists()  # released on exit


def test_broken_files_end_in_one_line_naming_them(tmp_path, monkeypatch, capsys):
    import h5py
    from PIL import Image

    image = str(tmp_path / "img.png")
    Image.new("RGB", (32, 32)).save(image)
    (tmp_path / "bad.safetensors").write_bytes(b"\x10" + b"\x00" * 7 + b'{"a":')
    (tmp_path / "bad.keras").write_bytes(b"not a zip")
    (tmp_path / "bad.weights.h5").write_bytes(b"garbage")
    with h5py.File(tmp_path / "bogus.h5", "w") as handle:  # names a dataset it lacks
        handle.attrs["layer_names"] = [b"conv1"]
        handle.create_group("conv1").attrs["weight_names"] = [b"conv1/missing:0"]
    (tmp_path / "home_file").write_text("not a folder")
    cases = [
        (["--model", "resnet20", "--weights", "bad.safetensors"], "SafetensorError"),
        (["--model", "bad.keras"], "is not a Keras .keras file (not a zip archive)"),
        (["--model", "resnet20", "--weights", "bad.keras"], "(not a zip archive)"),
        (["--model", "resnet20", "--weights", "bad.weights.h5"], "as Keras weights"),
        (["--model", "resnet18", "--weights", "bogus.h5"], "legacy keras.applications .h5"),
    ]
    monkeypatch.chdir(tmp_path)
    for arguments, message in cases:
        with pytest.raises(SystemExit) as info:
            cli.main(["predict", image, *arguments])
        error = capsys.readouterr().err
        assert info.value.code == 2, arguments
        assert message in error and error.count("\n") == 1, error
        named = arguments[-1]
        assert repr(named) in error, error
    # KERAS_HOME naming a file: an unwritable cache (tests/test_zoo_cache.py); offline and
    # with nothing cached, the one-line offline error.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home_file"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SystemExit) as info:
        cli.main(["predict", image, "--model", "resnet18"])
    error = capsys.readouterr().err
    assert info.value.code == 2 and error.count("\n") == 1, error
    assert "keras-resnet weights download resnet18.tv_in1k" in error


def test_keras_weights_of_another_architecture_are_refused(tmp_path, build):
    import keras_resnet

    plain = build("plain20")
    plain.save_weights(tmp_path / "plain20.weights.h5")
    plain.save(tmp_path / "plain20.keras")
    for path in (tmp_path / "plain20.weights.h5", tmp_path / "plain20.keras"):
        with pytest.raises(ValueError, match=r"saved from another architecture.*'add'"):
            keras_resnet.ResNet20(weights=str(path))
        assert keras_resnet.Plain20(weights=str(path)).count_params() == plain.count_params()
    with pytest.raises(ValueError, match=r"holds 11 layers the model lacks.*'add'"):
        keras_resnet.Plain20(weights=str(_saved(build("resnet20"), tmp_path)))


def _saved(model, folder):
    path = folder / f"{model.name}.weights.h5"
    model.save_weights(path)
    return path


def test_files_the_package_writes_have_normal_permissions(tmp_path):
    from keras_resnet.io import write_json_atomic
    from keras_resnet.zoo import cache

    old = os.umask(0o022)
    try:
        json_path = write_json_atomic(str(tmp_path / "metrics.json"), {"a": 1})
        state_path = cache.store(
            {"dense/kernel": np.ones((2, 1), "float32")}, str(tmp_path / "w.safetensors")
        )
    finally:
        os.umask(old)
    for path in (json_path, state_path, state_path + ".sha256"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644, path


def test_a_folder_in_the_way_of_a_written_file_is_named(tmp_path):
    from keras_resnet.io import write_json_atomic

    (tmp_path / "taken").mkdir()
    (tmp_path / "a_file").write_text("")
    with pytest.raises(IsADirectoryError, match=r"Cannot write the file '.*taken': it is a fo"):
        write_json_atomic(str(tmp_path / "taken"), {})
    with pytest.raises(
        NotADirectoryError, match=r"a file is in the way of its folder '.*a_file/sub'"
    ):
        write_json_atomic(str(tmp_path / "a_file" / "sub" / "x.json"), {})
    with pytest.raises(NotADirectoryError, match=r"a file is in the way"):
        write_json_atomic(str(tmp_path / "a_file" / "x.json"), {})
    assert sorted(os.listdir(tmp_path)) == ["a_file", "taken"]
    assert os.listdir(tmp_path / "taken") == []


def test_model_files_are_replaced_atomically_and_best_survives_a_restart(tmp_path, build):
    import zipfile

    from keras_resnet.recipes.callbacks import AtomicModelCheckpoint

    model = build("resnet20")
    last = AtomicModelCheckpoint(str(tmp_path / "last.keras"))
    last.set_model(model)
    last.on_epoch_end(0, {})
    saved = (tmp_path / "last.keras").read_bytes()
    assert zipfile.is_zipfile(tmp_path / "last.keras")

    class KilledWhileSaving:
        def save(self, path):
            with open(path, "wb") as handle:
                handle.write(b"half a zip")
            raise KeyboardInterrupt  # the process stops here, mid-file

    last.set_model(KilledWhileSaving())
    with pytest.raises(KeyboardInterrupt):
        last.on_epoch_end(1, {})
    assert (tmp_path / "last.keras").read_bytes() == saved
    assert sorted(os.listdir(tmp_path)) == ["last.keras"]  # no temporary file left
    # A resumed run starts from the best accuracy its history holds.
    best = AtomicModelCheckpoint(str(tmp_path / "best.keras"), "val_accuracy",
                                 initial_value_threshold=0.9)  # fmt: skip
    best.set_model(model)
    best.on_epoch_end(0, {"val_accuracy": 0.8})
    assert not (tmp_path / "best.keras").exists()
    best.on_epoch_end(1, {"val_accuracy": 0.95})
    assert zipfile.is_zipfile(tmp_path / "best.keras") and best.best == 0.95


def _hold_in_turn(folders: list[str], barrier, overlaps) -> None:
    """One of several processes: at each folder, all try to take its lock at once; a holder
    marks the folder, counts other holders' marks, and holds the lock a moment."""
    import warnings

    warnings.simplefilter("ignore")
    for folder in folders:
        barrier.wait()
        try:
            with directory_lock(folder):
                mark = os.path.join(folder, f"holder.{os.getpid()}")
                open(mark, "w").close()
                others = [n for n in os.listdir(folder) if n.startswith("holder.")]
                if len(others) > 1:
                    with overlaps.get_lock():
                        overlaps.value += 1
                time.sleep(0.02)
                os.remove(mark)
        except DirectoryInUseError:
            pass


def test_several_processes_taking_over_a_dead_holders_lock_never_hold_it_together(tmp_path):
    import multiprocessing

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    folders = []
    for index in range(40):
        _lock_held_by(tmp_path / str(index), int(finished.stdout))
        folders.append(str(tmp_path / str(index)))
    context = multiprocessing.get_context("fork")
    barrier, overlaps = context.Barrier(4), context.Value("i", 0)
    workers = [context.Process(target=_hold_in_turn, args=(folders, barrier, overlaps))
               for _ in range(4)]  # fmt: skip
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0] * 4
    assert overlaps.value == 0, f"two processes held the same folder in {overlaps.value} of 40"
    assert not any(os.path.exists(os.path.join(f, LOCK_FILE)) for f in folders)

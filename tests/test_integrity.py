"""Integrity under abuse: concurrent runs, hostile files, file permissions, model files."""

import json
import os
import socket
import subprocess
import sys

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

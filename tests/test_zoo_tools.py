"""`keras-resnet weights ...`, `predict --weights imagenet` and the weights/ scripts."""

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from fake_hub import FakeHub, HubFile
from PIL import Image
from reference_weights import reference
from safetensors.numpy import save_file

import keras_resnet
from keras_resnet import cli
from keras_resnet.imagenet_utils import class_index
from keras_resnet.io import sha256_file
from keras_resnet.zoo import cache, hub_folder, registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _script(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "weights", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_weights_list_and_info(capsys):
    assert cli.main(["weights", "list"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert len(rows) == len(registry.list_weights()) >= 13
    assert cli.main(["weights", "list", "--arch", "resnet50"]) == 0
    out = capsys.readouterr().out
    assert "resnet50.tv2_in1k" in out and "80.85" in out and "resnet18" not in out
    assert cli.main(["weights", "info", "resnet50.a1_in1k"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["top1"] == 80.38
    with pytest.raises(SystemExit) as info:
        cli.main(["weights", "list", "--arch", "nope"])
    assert info.value.code == 2
    assert "`arch`" in capsys.readouterr().err and "resnet50" not in capsys.readouterr().out


def test_download_and_predict_from_a_warm_cache_offline(warm_cache, tmp_path, capsys):
    assert cli.main(["weights", "download", "resnet18.tv_in1k"]) == 0
    assert cache.cache_dir() in capsys.readouterr().out
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.jpg"):
        Image.fromarray(rng.integers(0, 255, (300, 260, 3), dtype=np.uint8)).save(tmp_path / name)
    (tmp_path / "c.png").write_bytes(b"not an image")
    paths = [str(tmp_path / n) for n in ("a.png", "b.jpg", "c.png")]
    assert (
        cli.main(["predict", *paths, "--model", "resnet18", "--weights", "imagenet", "--top", "3"])
        == 0
    )
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 2 and "c.png: error" in captured.err
    names = {name for _, name in class_index()}
    for line in lines:
        decoded = [part.rsplit(" ", 1)[0] for part in line.split(": ", 1)[1].split(", ")]
        assert len(decoded) == 3 and set(decoded) <= names, line


def test_download_offline_and_uncached_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["weights", "download", "resnet34.tv_in1k"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "offline" in err and "keras-resnet weights download resnet34.tv_in1k" in err


def test_convert_to_keras_files_and_a_hub_folder(tmp_path, capsys):
    state, _ = reference(18)
    src = str(tmp_path / "resnet18.safetensors")
    save_file(state, src)
    images = np.random.default_rng(3).normal(size=(1, 64, 64, 3)).astype("float32")
    expected = keras_resnet.ResNet18(weights=src, input_shape=(64, 64, 3)).predict_on_batch(images)
    for dst in ("r18.weights.h5", "r18.safetensors"):
        assert cli.main(["weights", "convert", src, str(tmp_path / dst)]) == 0
        model = keras_resnet.ResNet18(weights=str(tmp_path / dst), input_shape=(64, 64, 3))
        np.testing.assert_allclose(model.predict_on_batch(images), expected, rtol=1e-6)
    assert cli.main(["weights", "convert", src, str(tmp_path / "folder")]) == 0
    config = hub_folder.check_folder(str(tmp_path / "folder"))
    assert config["arch"] == "resnet18" and config["num_classes"] == 1000
    assert config["source_sha256"] == sha256_file(src)
    assert "library_name: keras_resnet" in (tmp_path / "folder" / "README.md").read_text()
    # A legacy .h5 or pickle DST is refused (not made a folder); a missing SRC is named.
    for arguments, named in (
        ([src, str(tmp_path / "r18.h5")], "dst="),
        ([src, str(tmp_path / "r18.pth")], "dst="),
        ([str(tmp_path / "missing.safetensors"), str(tmp_path / "x.keras")], "src="),
    ):
        with pytest.raises(SystemExit):
            cli.main(["weights", "convert", *arguments])
        assert f"{named}{arguments[named == 'dst=']!r}" in capsys.readouterr().err
    assert not (tmp_path / "r18.h5").exists() and not (tmp_path / "r18.pth").exists()

    # weights/convert.py makes the same folder, with the registry entry's card fields.
    out = tmp_path / "script"
    assert _script("convert").main(["-", str(out), "--src", src]) == 0
    assert hub_folder.check_folder(str(out))["sha256"] == config["sha256"]
    publish = _script("publish")
    assert publish.main([str(out), "me/keras-resnet18", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "dry run" in printed and "upload_folder(repo_id='me/keras-resnet18'" in printed
    assert config["sha256"] in printed
    with pytest.raises(ValueError, match="Repo id must be in the form"):
        publish.main([str(out), "me/keras/resnet18", "--dry-run"])
    (out / "model.safetensors").write_bytes(b"changed")
    with pytest.raises(ValueError, match="sha256"):
        publish.main([str(out), "me/keras-resnet18", "--dry-run"])


def test_pin_fills_missing_pins_from_the_hub(tmp_path):
    with open(os.path.join(ROOT, "keras_resnet", "zoo", "registry.json")) as handle:
        document = json.load(handle)
    server = FakeHub()
    unpinned = {n: e for n, e in document["weights"].items() if not (e["sha256"] and e["revision"])}
    assert len(unpinned) >= 8
    for name, entry in sorted(unpinned.items()):
        commit = entry["revision"] or hashlib.sha1(name.encode()).hexdigest()
        server.add(entry["repo_id"], commit, {"model.safetensors": HubFile(f"<{name}>".encode())})
    server.start()
    try:
        path = tmp_path / "registry.json"
        shutil.copy(os.path.join(ROOT, "keras_resnet", "zoo", "registry.json"), path)
        env = {**os.environ, "HF_ENDPOINT": server.endpoint, "HF_HUB_OFFLINE": "0"}
        result = subprocess.run(
            [
                sys.executable,
                os.path.join(ROOT, "weights", "pin.py"),
                "--registry",
                str(path),
                "--write",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr[-2000:]
    pinned = json.loads(path.read_text())["weights"]
    for name, entry in pinned.items():
        if name in unpinned:
            assert entry["sha256"] == hashlib.sha256(f"<{name}>".encode()).hexdigest()
            assert len(entry["revision"]) == 40 and "pin_note" not in entry
        else:
            assert entry == document["weights"][name]
    assert (
        pinned["resnet34.tv_in1k"]["revision"]
        == document["weights"]["resnet34.tv_in1k"]["revision"]
    )

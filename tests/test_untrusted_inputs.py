"""Checked before trusted: datasets, resume state, archives and images that are read from
disk are checked before the package trains on them, and cost bounded memory to refuse."""

import gzip
import io
import os
import tarfile

import numpy as np
import pytest
from helpers import child_peak_rss, write_idx

import keras_resnet
from keras_resnet import cli, recipes
from keras_resnet.data import memory
from keras_resnet.data.idx import read_idx


def _fashion_folder(folder, *, train_labels=None, test_shape=(28, 28), train_count=20):
    """A Fashion-MNIST folder of IDX files (20 training and 10 test images by default)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    labels = np.arange(train_count) % 10 if train_labels is None else np.asarray(train_labels)
    write_idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (train_count, 28, 28)),
              compress=True)  # fmt: skip
    write_idx(folder / "train-labels-idx1-ubyte.gz", labels, compress=True)
    write_idx(folder / "t10k-images-idx3-ubyte", rng.integers(0, 256, (10, *test_shape)))
    write_idx(folder / "t10k-labels-idx1-ubyte", np.arange(10) % 10)
    return folder


@pytest.mark.parametrize(
    "folder_options, message",
    [
        ({"train_labels": [200] * 20}, r"holds label 200 \(at index 0\): fashion_mnist's labels "
                                       r"are 0 to 9"),
        ({"train_labels": [*range(9)] * 2 + [1, 10]}, r"holds label 10 \(at index 19\)"),
        ({"train_labels": np.arange(19) % 10}, r"hold 20 images but 19 labels"),
        ({"test_shape": (32, 32)}, r"training images are \(28, 28, 1\) and its test images "
                                   r"\(32, 32, 1\)"),
    ],
)  # fmt: skip
def test_in_memory_datasets_are_checked_before_anything_is_written(
    tmp_path, monkeypatch, capsys, folder_options, message
):
    source = _fashion_folder(tmp_path / "raw", **folder_options)
    monkeypatch.setenv("KERAS_RESNET_FASHION_MNIST_DIR", str(source))
    with pytest.raises(ValueError, match=message):
        memory.load_in_memory("fashion_mnist", data_dir=str(tmp_path / "tfds"))
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "--recipe", "fashion_mnist_resnet20", "--steps", "2",
                  "--pipeline", "memory", "--data-dir", str(tmp_path / "tfds"),
                  "--output", str(out)])  # fmt: skip
    error = capsys.readouterr().err
    assert info.value.code == 2 and error.count("\n") == 1, error
    assert not out.exists()


def test_truncated_archives_are_refused_in_one_line_naming_them(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    write_idx(path, np.arange(5000) % 10, compress=True)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError, match=rf"{path.name}' is truncated or corrupt"):
        read_idx(path)
    path.write_bytes(b"\x1f\x8b" + b"\x00" * 30)  # a gzip magic, then garbage
    with pytest.raises(ValueError, match="is truncated or corrupt"):
        read_idx(path)
    manual = tmp_path / "tfds" / "downloads" / "manual" / "cifar10"
    manual.mkdir(parents=True)
    archive = manual / "cifar-10-binary.tar.gz"
    record = np.zeros((10, 3073), np.uint8).tobytes()
    with tarfile.open(archive, "w:gz") as tar:
        for member in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{member}")
            info.size = len(record)
            tar.addfile(info, io.BytesIO(record))
    archive.write_bytes(archive.read_bytes()[:-60])
    with pytest.raises(ValueError, match=r"cifar-10-binary\.tar\.gz' is truncated or corrupt"):
        memory.arrays("cifar10", "train", data_dir=str(tmp_path / "tfds"))


def test_a_gzip_bomb_is_refused_at_the_size_its_header_declares(tmp_path):
    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as f:  # declares 47 MB, inflates to 1 GiB
        f.write(bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (60000, 28, 28)))
        chunk = bytes(64 << 20)
        for _ in range(16):
            f.write(chunk)
    peak, error = child_peak_rss("from keras_resnet.data.idx import read_idx",
                                 f"read_idx({str(bomb)!r})")  # fmt: skip
    assert "announces shape (60000, 28, 28) (47,040,000 bytes of data) but it holds more" in error
    assert peak < 400, f"{peak} MB to refuse a 1 GiB gzip bomb"
    huge = tmp_path / "huge-idx3-ubyte"
    huge.write_bytes(bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (10**6,) * 3))
    with pytest.raises(ValueError, match=r"declares shape \(1000000, 1000000, 1000000\).*not read"):
        read_idx(huge)


def _declare(path, member: str, size: int) -> None:
    """Patch the size that ``member`` declares in the zip's central directory."""
    data = bytearray(path.read_bytes())
    start = data.find(b"PK\x01\x02")
    while start >= 0:
        name_length = int.from_bytes(data[start + 28 : start + 30], "little")
        if data[start + 46 : start + 46 + name_length] == member.encode():
            data[start + 24 : start + 28] = size.to_bytes(4, "little")
        start = data.find(b"PK\x01\x02", start + 4)
    path.write_bytes(bytes(data))


def _keras_file_with_weights(path, resnet20_keras, weights_bytes: int | None = None):
    """A copy of a ResNet-20 .keras file, its weights replaced by ``weights_bytes`` zeros."""
    import zipfile

    with zipfile.ZipFile(resnet20_keras) as source, zipfile.ZipFile(path, "w") as target:
        for name in ("config.json", "metadata.json"):
            target.writestr(name, source.read(name))
        if weights_bytes is None:
            target.writestr("model.weights.h5", source.read("model.weights.h5"))
            return path
        info = zipfile.ZipInfo("model.weights.h5")
        info.compress_type = zipfile.ZIP_DEFLATED
        with target.open(info, "w") as handle:
            chunk = bytes(64 << 20)
            for _ in range(weights_bytes // len(chunk)):
                handle.write(chunk)
    return path


@pytest.fixture(scope="module")
def resnet20_keras(tmp_path_factory, build):
    path = tmp_path_factory.mktemp("keras") / "resnet20.keras"
    build("resnet20").save(path)
    return path


def test_keras_files_cost_what_their_architecture_needs(tmp_path, resnet20_keras):
    from keras_resnet.archive import MAX_WEIGHTS_BYTES

    declared = _keras_file_with_weights(tmp_path / "declared.keras", resnet20_keras)
    _declare(declared, "model.weights.h5", MAX_WEIGHTS_BYTES)  # at the old limit
    with pytest.raises(
        ValueError,
        match=r"declares model\.weights\.h5 of 2,147,483,648 bytes; "
        r"the architecture in its config\.json needs at most",
    ):
        recipes.load_model(declared)  # fmt: skip
    lying = _keras_file_with_weights(tmp_path / "lying.keras", resnet20_keras, 1536 << 20)
    _declare(lying, "model.weights.h5", 1 << 20)  # declares 1 MiB, inflates to 1.5 GiB
    peak, error = child_peak_rss("from keras_resnet import recipes",
                                 f"recipes.load_model({str(lying)!r})")  # fmt: skip
    assert "'model.weights.h5' that inflates past the 1,048,576 bytes it declares" in error, error
    assert peak < 200, f"{peak} MB to refuse a .keras member that inflates to 1.5 GiB"
    import zipfile

    with zipfile.ZipFile(tmp_path / "many.keras", "w") as archive:
        for index in range(2000):
            archive.writestr(f"assets/{index}", b"")
    with pytest.raises(ValueError, match=r"holds 2,000 members \(at most 1,000 here"):
        recipes.load_model(tmp_path / "many.keras")
    assert recipes.load_model(resnet20_keras).count_params() > 0


def test_images_are_decoded_within_what_the_model_needs_and_refused_per_file(tmp_path):
    from PIL import Image

    good, long, huge = (str(tmp_path / name) for name in ("good.png", "long.png", "huge.png"))
    Image.new("RGB", (300, 200), (200, 30, 30)).save(good)
    Image.new("L", (100000, 1)).save(long)
    Image.new("L", (13000, 13000)).save(huge)  # 169 megapixels, a few hundred KB on disk
    results = recipes.predict_files(keras_resnet.ResNet18(weights=None), [good, long, huge])
    assert results[0].error is None and len(results[0].classes) == 5
    assert results[1].error == ("an image of 100000x1 pixels: one side is over 50 times the "
                                "other, no view of a model can be taken from it")  # fmt: skip
    assert results[2].error is None
    peak, error = child_peak_rss(
        "import keras_resnet\nfrom keras_resnet import recipes\n"
        "model = keras_resnet.ResNet18(weights=None)\n"
        f"recipes.predict_files(model, [{good!r}])",
        f"recipes.predict_files(model, [{huge!r}])",
    )
    assert peak < 1200, f"{peak} MB to predict a 169-megapixel PNG ({error[-300:]})"


def test_paths_the_cli_prints_are_escaped(tmp_path, monkeypatch, capsys):
    from keras_resnet import deploy
    from keras_resnet.recipes.training import TrainResult

    output = str(tmp_path / "out\x1b[2J\r")
    metrics = {"test_accuracy": 0.5, "test_error": 0.5, "iterations": 1, "wall_seconds": 1.0,
               "images_per_second": 1.0}  # fmt: skip
    trained = TrainResult(model=None, history=None, metrics=metrics, output_dir=output)
    monkeypatch.setattr(recipes, "train", lambda *args, **kwargs: trained)
    cli.main(["train", "--recipe", "fashion_mnist_resnet20", "--output", output])
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\r" not in printed
    assert "out\\x1b[2J\\r/last.keras" in printed
    from keras_resnet.deploy.artifacts import ExportResult

    written = ExportResult(path=output + "/m.onnx", format="onnx", quantize=None,
                           samples_checked=1, relative_error=0.0, top1_agreement=1.0,
                           record=output + "/m.onnx.export.json")  # fmt: skip
    monkeypatch.setattr(deploy, "export", lambda *args, **kwargs: written)
    os.makedirs(output)
    with open(output + "/last.keras", "w"):  # the file export names (export itself stubbed)
        pass
    cli.main(["export", output + "/last.keras", written.path, "--format", "onnx"])
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "out\\x1b[2J\\r/m.onnx: onnx" in printed


def test_without_tensorflow_the_installed_backend_is_chosen_and_named_once(
    tmp_path_factory, tmp_path
):
    from helpers import python_without_tensorflow

    code = (
        "from keras_resnet import cli\n"  # the console script's first import
        "import keras, keras_resnet\n"
        "print(keras_resnet.ResNet20().count_params(), keras.backend.backend())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["KERAS_HOME"] = str(tmp_path / "keras_home")  # no keras.json: nothing chosen
    farm = tmp_path_factory.getbasetemp() / "without_tensorflow"
    words, errors = python_without_tensorflow(code, farm, env=env)
    assert words[-1] == "jax", (words, errors[-2000:])
    assert errors.count("TensorFlow is not installed; using Keras' jax backend") == 1, errors
    assert "Traceback" not in errors


@pytest.fixture
def no_proxy_settings(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_a_hub_that_never_answers_fails_in_seconds(tmp_path, monkeypatch, no_proxy_settings):
    import socket
    import time

    from huggingface_hub import constants

    silent = socket.socket()  # the kernel accepts its connections; nothing ever answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{silent.getsockname()[1]}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    start = time.monotonic()
    with pytest.raises(FileNotFoundError, match=r"could not be reached \(no answer within 5 s\)"):
        keras_resnet.ResNet18(weights="imagenet")
    assert time.monotonic() - start < 30
    silent.close()


def test_the_reachability_probe_goes_through_the_proxy(monkeypatch, no_proxy_settings):
    import http.server
    import threading

    from keras_resnet.network import unreachable

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.send_response(200 if self.path.startswith("http://hub.invalid") else 502)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    assert "hub.invalid:80 could not be reached (" in unreachable("http://hub.invalid")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.server_port}")
    assert unreachable("http://hub.invalid") is None  # only the proxy reaches it
    monkeypatch.setenv("NO_PROXY", "hub.invalid")
    assert "hub.invalid:80 could not be reached (" in unreachable("http://hub.invalid")
    server.shutdown()


def test_int8_calibration_is_checked_and_export_never_downloads_a_dataset(tmp_path, monkeypatch):
    import dataclasses
    import socket

    import tensorflow as tf

    from keras_resnet import deploy
    from keras_resnet.deploy import formats
    from keras_resnet.recipes.training import trained_checkpoint

    model, path = keras_resnet.ResNet20(), str(tmp_path / "m.onnx")
    huge = tf.data.Dataset.from_tensor_slices(np.full((8, 32, 32, 3), 3e38, "float32"))
    with pytest.raises(ValueError, match=r"values up to 3e\+38 in magnitude"):
        deploy.export(model, path, format="onnx", quantize="int8", calibration=huge)
    info = {"classes": 10, "class_names": [str(i) for i in range(10)]}
    carried = trained_checkpoint(recipes.get("cifar10_resnet20"), info, (32, 32, 3))
    model.checkpoint = carried
    with pytest.raises(ValueError, match=r"; the given `calibration` holds no images\."):
        deploy.export(model, path, format="onnx", quantize="int8", calibration=huge.take(0))
    attempts = []

    def no_network(address, *args, **kwargs):
        attempts.append(address)
        raise OSError("no network in tests")

    monkeypatch.setattr(socket, "create_connection", no_network)
    data_dir = str(tmp_path / "tfds")  # cifar10 is not on disk there
    with pytest.raises(
        ValueError,
        match=r"carries the dataset 'cifar10', whose images are not "
        r"on disk here \(export downloads no dataset",
    ):
        deploy.export(model, path, format="onnx", quantize="int8", data_dir=data_dir)  # fmt: skip

    class WriteReachedError(Exception):
        pass

    def stop(adapter, network, temporary, quantize, images):
        raise WriteReachedError(images)

    monkeypatch.setattr(formats.ExportFormat, "write", stop)
    with pytest.raises(
        WriteReachedError
    ) as written:  # checked on random inputs, nothing downloaded
        deploy.export(model, path, format="onnx", data_dir=data_dir)
    assert written.value.args == (None,) and attempts == []
    assert dataclasses.asdict(model.checkpoint) == dataclasses.asdict(carried)


def test_the_cli_refuses_bad_arguments_in_its_own_words_before_any_framework_starts(tmp_path):
    import json
    import subprocess
    import sys

    (tmp_path / "folder").mkdir()
    keras_file = tmp_path / "m.keras"
    keras_file.write_bytes(b"")
    cases = {
        "recipe": ["train", "--recipe", "fashion_mnist_resnt20"],
        "steps": ["train", "--recipe", "fashion_mnist_resnet20", "--steps", "0"],
        "batch": ["study", "--output", str(tmp_path / "s"), "--batch-size", "0"],
        "top": ["predict", "x.png", "--top", "0"],
        "model": ["evaluate", "resnet51", "--dataset", "fashion_mnist"],
        "dataset": ["evaluate", "resnet20", "--dataset", "fashoin_mnist"],
        "file": ["evaluate", str(tmp_path / "missing.keras"), "--dataset", "fashion_mnist"],
        "weights": ["train", "--recipe", "fashion_mnist_resnet20", "--weights", "no.keras"],
        "quantize": ["export", str(keras_file), "m.onnx", "--format", "onnx", "--quantize",
                     "float16"],
        "folder": ["predict", str(tmp_path / "folder"), "--model", "resnet20"],
    }  # fmt: skip
    code = (
        "import contextlib, io, json, sys\n"
        "sys.argv[0] = 'keras-resnet'  # as the console script starts\n"
        "from keras_resnet import cli\n"
        "out = {}\n"
        f"for name, argv in {cases!r}.items():\n"
        "    err = io.StringIO()\n"
        "    with contextlib.redirect_stderr(err):\n"
        "        try:\n"
        "            cli.main(argv)\n"
        "        except SystemExit as stop:\n"
        "            out[name] = [stop.code, err.getvalue()]\n"
        "frameworks = ('keras', 'tensorflow', 'jax', 'torch')\n"
        "out['started'] = [name for name in frameworks if name in sys.modules]\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120)  # fmt: skip
    out = json.loads(result.stdout.splitlines()[-1])
    assert out.pop("started") == []
    for name, (exit_code, error) in out.items():
        assert exit_code == 2 and error.count("\n") == 1, (name, error)
    assert "Did you mean 'fashion_mnist_resnet20'" in out["recipe"][1]
    assert "the 33 names of `keras-resnet recipes`" in out["recipe"][1]
    assert "argument --steps: should be a whole number above 0. Received: 0" in out["steps"][1]
    assert "Did you mean 'resnet56', 'resnet50'" in out["model"][1]
    assert "Did you mean 'fashion_mnist'? --dataset should be one of" in out["dataset"][1]
    assert "--format onnx takes --quantize int8. Received: --quantize float16" in out["quantize"][1]
    assert "is a folder: give image files" in out["folder"][1]


def test_library_errors_are_put_in_the_cli_words():
    import argparse

    from keras_resnet.cli.checks import in_cli_words

    parser = argparse.ArgumentParser()
    for flag in ("--overwrite", "--weights", "--batch-size"):
        parser.add_argument(flag)
    said = in_cli_words("'m.onnx' exists; pass overwrite=True to replace it. The `weights` "
                        "argument should be a file. Received: batch_size=0", parser)  # fmt: skip
    assert said == ("'m.onnx' exists; pass --overwrite to replace it. --weights should be a "
                    "file. Received: --batch-size 0")  # fmt: skip


def test_a_jax_evaluation_prints_one_progress_line_and_no_int64_warning(tmp_path, fashion_dir):
    import subprocess
    import sys

    import keras

    from keras_resnet.recipes.training import trained_checkpoint
    from keras_resnet.schedules import PaperSchedule

    model = keras_resnet.ResNet20(input_shape=(32, 32, 1))
    info = {"classes": 10, "class_names": [str(i) for i in range(10)]}
    model.checkpoint = trained_checkpoint(recipes.get("fashion_mnist_resnet20"), info,
                                          (32, 32, 1))  # fmt: skip
    schedule = PaperSchedule([0.1, 0.01], [10], warmup_lr=0.01, warmup_steps=2)
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "m.keras")
    result = subprocess.run(
        [sys.executable, "-m", "keras_resnet.cli", "evaluate", str(tmp_path / "m.keras"),
         "--dataset", "fashion_mnist", "--limit", "300", "--batch-size", "100",
         "--data-dir", fashion_dir],
        capture_output=True, text=True, timeout=300, env={**os.environ, "KERAS_BACKEND": "jax"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("300/300") and "on 300 images" in lines[1]
    assert "int64" not in result.stderr, result.stderr[-2000:]


def test_a_missing_dataset_is_not_told_to_install_fashion_mnist(tmp_path, monkeypatch):
    from keras_resnet import data

    with pytest.raises(FileNotFoundError) as missing:
        data.get_builder("cifar10", str(tmp_path / "tfds"), download=False)
    assert "apt-get" not in str(missing.value)
    monkeypatch.setattr(data.sources, "source_dirs", lambda name, data_dir: [str(tmp_path)])
    with pytest.raises(FileNotFoundError, match=r"apt-get install dataset-fashion-mnist"):
        data.get_builder("fashion_mnist", str(tmp_path / "tfds"), download=False)

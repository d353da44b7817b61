"""Training recipes: schedules, weight decay, distribution, resumption, mixed precision."""

import concurrent.futures
import csv
import json
import os
import signal
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest
from helpers import backed_up_epochs, python_output, signal_when, start_interruptible

import keras_resnet
from keras_resnet import cli, recipes
from keras_resnet.schedules import PaperSchedule, WarmupUntilError

SCRIPT = os.path.join(os.path.dirname(__file__), "scripts", "train_run.py")


def _run_script(*args, env=None, timeout=600):
    result = subprocess.run(
        [sys.executable, SCRIPT, *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    line = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def test_cifar10_resnet110_schedule_gives_the_papers_lr_at_each_iteration():
    recipe = recipes.get("cifar10_resnet110")
    schedule = PaperSchedule(
        recipe.lr_values, recipe.lr_boundaries, recipe.warmup_lr, recipe.warmup_steps
    )
    expected = {0: 0.01, 399: 0.01, 400: 0.1, 31999: 0.1, 32000: 0.01, 47999: 0.01, 48000: 0.001}
    for step, lr in expected.items():
        assert float(schedule(step)) == pytest.approx(lr), step
        assert recipe.lr_at(step) == pytest.approx(lr), step
    assert recipe.steps == 64_000 and recipe.batch_size == 128 and recipe.weight_decay == 1e-4
    assert recipes.get("cifar10_resnet56").warmup_lr is None


def test_warmup_ends_early_once_training_error_is_below_80_percent():
    schedule = PaperSchedule([0.1], [], warmup_lr=0.01, warmup_steps=400)
    callback = WarmupUntilError(schedule, threshold=0.8)
    callback.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    callback.model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    callback.model.optimizer.build(callback.model.trainable_variables)
    callback.model.optimizer.iterations.assign(120)
    callback.on_train_batch_end(0, {"accuracy": 0.15})  # error 85%: keep warming up
    assert float(schedule(121)) == pytest.approx(0.01)
    callback.on_train_batch_end(1, {"accuracy": 0.25})  # error 75%: back to 0.1
    assert callback.ended_at == 120 and float(schedule(121)) == pytest.approx(0.1)


def test_weight_decay_is_caffe_style_on_conv_and_dense_kernels_only():
    wd = recipes.get("cifar10_resnet20").weight_decay
    model = keras_resnet.ResNet20(kernel_regularizer=keras.regularizers.L2(wd / 2))
    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
    expected = wd / 2 * sum(float(np.sum(np.square(k.numpy()))) for k in kernels)
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-5)
    bn = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert bn and all(
        layer.gamma_regularizer is None and layer.beta_regularizer is None for layer in bn
    )


def test_registry_names_and_errors():
    names = recipes.list_recipes()
    for depth in (20, 32, 44, 56, 110, 1202):
        assert f"cifar10_resnet{depth}" in names
    for arch in ("resnet18", "resnet50", "resnet152", "plain34"):
        assert f"imagenet_{arch}" in names and f"imagenet_{arch}_fixed" in names
    assert {"fashion_mnist_resnet20", "fashion_mnist_resnet56", "cifar10_plain110"} <= set(names)
    fixed = recipes.get("imagenet_resnet50_fixed")
    assert fixed.lr_boundaries == (30 * 5004, 60 * 5004) and fixed.steps == 90 * 5004
    assert recipes.get("imagenet_resnet50").plateau
    with pytest.raises(
        ValueError,
        match=r"Did you mean .*'cifar10_resnet20'.*The `recipe` argument should be one "
        r"of the 33 names of recipes.list_recipes\(\). Received: recipe='cifar10_resnet21'",
    ):
        recipes.get("cifar10_resnet21")
    with pytest.raises(TypeError, match=r"`recipe`.*Recipe. Received: recipe='x'"):
        recipes.register("x")
    with pytest.raises(ValueError, match="lr_values"):
        recipes.Recipe("bad", "resnet20", "cifar10", lr_values=(0.1,), lr_boundaries=(5,))


def test_train_writes_every_output_and_refuses_another_recipes_dir(tmp_path, fashion_dir):
    out = str(tmp_path / "run")
    result = recipes.train(
        "fashion_mnist_resnet20", output_dir=out, steps=4, steps_per_epoch=2, batch_size=32,
        data_dir=fashion_dir, seed=0, validation_steps=2, verbose=0,
    )  # fmt: skip
    assert {"recipe.json", "history.csv", "last.keras", "best.keras", "error.png",
            "metrics.json", "logs"} <= set(os.listdir(out))  # fmt: skip
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    assert 0 <= metrics["test_accuracy"] <= 1 and metrics["iterations"] == 4
    assert (metrics["test_images"], metrics["test_split_images"]) == (64, 10_000)
    assert metrics["images_per_second"] > 0 and metrics["wall_seconds"] > 0
    assert result.model.input_shape == (None, 32, 32, 1)
    norms = [n for n in result.model.layers if isinstance(n, keras.layers.BatchNormalization)]
    fused = keras.backend.backend() != "jax"  # trained through the fused kernel there
    assert len(norms) == 19 and all(("call" in vars(n)) == fused for n in norms)
    with open(os.path.join(out, "history.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["0", "1"] and rows[-1]["iterations"] == "4"
    assert not os.path.exists(os.path.join(out, "backup"))  # removed after a finished run

    # The same call again: the finished run is returned as stored, nothing trained or touched.
    stamps = {name: os.stat(os.path.join(out, name)).st_mtime_ns for name in os.listdir(out)}
    again = recipes.train(
        "fashion_mnist_resnet20", output_dir=out, steps=4, steps_per_epoch=2, batch_size=32,
        data_dir=fashion_dir, seed=0, validation_steps=2, verbose=0,
    )  # fmt: skip
    assert again.history is None and again.metrics == metrics
    assert again.model.count_params() == result.model.count_params()
    assert stamps == {n: os.stat(os.path.join(out, n)).st_mtime_ns for n in os.listdir(out)}
    assert cli.main(["train", "--recipe", "fashion_mnist_resnet20", "--steps", "4",
                     "--steps-per-epoch", "2", "--batch-size", "32", "--data-dir", fashion_dir,
                     "--seed", "0", "--validation-steps", "2", "--output", out]) == 0  # fmt: skip
    assert stamps == {n: os.stat(os.path.join(out, n)).st_mtime_ns for n in os.listdir(out)}
    # --overwrite with weights that cannot be loaded fails before removing the finished run.
    (tmp_path / "bad.keras").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"bad\.keras"):
        recipes.train("fashion_mnist_resnet20", output_dir=out, steps=2, data_dir=fashion_dir,
                      overwrite=True, weights=str(tmp_path / "bad.keras"))  # fmt: skip
    assert stamps == {n: os.stat(os.path.join(out, n)).st_mtime_ns for n in os.listdir(out)}
    overwritten = recipes.train(
        "fashion_mnist_resnet20", output_dir=out, steps=2, steps_per_epoch=2, batch_size=32,
        data_dir=fashion_dir, seed=0, validation_steps=2, verbose=0, overwrite=True,
    )  # fmt: skip
    assert overwritten.history is not None and overwritten.metrics["iterations"] == 2
    with pytest.raises(ValueError, match=r"`output_dir`.*fashion_mnist_resnet20"):
        recipes.train("fashion_mnist_resnet56", output_dir=out, steps=2, data_dir=fashion_dir)


def test_every_bad_argument_is_refused_before_anything_is_written(tmp_path, fashion_dir):
    out = tmp_path / "never"
    for arguments, message in [
        ({"steps_per_epoch": 0}, r"`steps_per_epoch`.*positive.*Received: steps_per_epoch=0"),
        ({"batch_size": 0}, r"`batch_size`.*Received: batch_size=0"),
        ({"batch_size": -3}, r"`batch_size`.*Received: batch_size=-3"),
        ({"validation_steps": 0}, r"`validation_steps`.*Received: validation_steps=0"),
        ({"mixed_precision": "float64"}, r"`mixed_precision`.*float64"),
        ({"steps": 0}, r"`steps`.*Received: steps=0"),
        ({"seed": -1}, r"`seed`.*Received: seed=-1"),
        ({"seed": True}, r"`seed`.*Received: seed=True"),
    ]:
        with pytest.raises(ValueError, match=message):
            recipes.train("fashion_mnist_resnet20", output_dir=str(out), data_dir=fashion_dir,
                          **arguments)  # fmt: skip
        assert not out.exists(), arguments
    # Weights are read when the model is built, before the first write into the folder.
    (tmp_path / "bad.weights.h5").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="cannot be read as Keras weights"):
        recipes.train("fashion_mnist_resnet20", output_dir=str(out), data_dir=fashion_dir,
                      weights=str(tmp_path / "bad.weights.h5"))  # fmt: skip
    assert os.listdir(out) == []
    with pytest.raises(ValueError, match=r"`output_dir`.*Received: output_dir=None"):
        recipes.train("fashion_mnist_resnet20", output_dir=None, data_dir=fashion_dir)


@pytest.mark.slow
def test_evaluate_a_saved_model_with_each_crop_mode(tmp_path, fashion_dir):
    model = keras_resnet.ResNet20(input_shape=(32, 32, 1))
    path = str(tmp_path / "m.keras")
    model.save(path)
    for crops in ("center", "ten", "multiscale"):
        result = recipes.evaluate(
            path, "fashion_mnist", crops=crops, data_dir=fashion_dir, limit=20
        )
        assert result["examples"] == 20 and 0 <= result["accuracy"] <= 1, crops
    with pytest.raises(ValueError, match="`crops`"):
        recipes.evaluate(model, "fashion_mnist", crops="five", data_dir=fashion_dir)
    # A model that does not fit the dataset is refused, not scored; so is a bad view.
    for other, message in (
        (keras_resnet.ResNet20(input_shape=(32, 32, 1), classes=5), "5 outputs but fashion_mnist"),
        (keras_resnet.ResNet20(), "3-channel images but fashion_mnist's images have 1"),
    ):
        with pytest.raises(ValueError, match=message):
            recipes.evaluate(other, "fashion_mnist", data_dir=fashion_dir, limit=1)
        with pytest.raises(ValueError, match=message):
            recipes.predict_files(other, [], dataset="fashion_mnist", data_dir=fashion_dir)
    with pytest.raises(ValueError, match="`preprocessing`"):
        recipes.evaluate(model, "fashion_mnist", data_dir=fashion_dir, preprocessing="crop")
    with pytest.raises(ValueError, match="`paths`"):
        recipes.predict_files(model, path)
    with pytest.raises(FileNotFoundError, match="Received: model=5"):
        recipes.load_model(5)


@pytest.mark.slow
def test_mixed_bfloat16_trains_with_finite_loss_and_float32_outputs(tmp_path, fashion_dir):
    result = _run_script(fashion_dir, tmp_path / "bf16", "--policy", "mixed_bfloat16")
    assert all(np.isfinite(result["loss"]))
    assert result["output_dtype"] == "float32"


@pytest.mark.slow
def test_two_replica_mirrored_matches_one_replica_at_the_same_global_batch(tmp_path, fashion_dir):
    common = ["--logical-cpus", "2", "--steps", "3", "--steps-per-epoch", "3", "--batch-size", "64"]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # two processes at once
        one, two = pool.map(
            lambda strategy: _run_script(fashion_dir, tmp_path / strategy, "--strategy", strategy,
                                         *common),
            ("one", "mirrored"),
        )  # fmt: skip
    assert (one["replicas"], two["replicas"]) == (1, 2)
    # Batch norm statistics are per replica (32 vs 64 images), so losses agree closely, not exactly.
    assert two["loss"][-1] == pytest.approx(one["loss"][-1], rel=0.05)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_workers_train_together_with_multiworker_mirrored(tmp_path, fashion_dir):
    workers = [f"127.0.0.1:{_free_port()}" for _ in range(2)]
    processes = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    SCRIPT,
                    fashion_dir,
                    str(tmp_path / f"w{index}"),
                    "--strategy",
                    "multiworker",
                    "--steps",
                    "2",
                    "--steps-per-epoch",
                    "2",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "TF_CONFIG": json.dumps(tf_config)},
            )
        )
    outputs = [p.communicate(timeout=600) for p in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    results = [json.loads(o.splitlines()[-1][len("RESULT ") :]) for o, _ in outputs]
    assert [r["replicas"] for r in results] == [2, 2]
    assert os.path.isfile(tmp_path / "w0" / "metrics.json")  # the chief writes the outputs
    assert not os.path.exists(tmp_path / "w1" / "metrics.json")


@pytest.mark.slow
def test_compressed_schedule_keeps_the_recipes_shape():
    from keras_resnet.recipes.training import compressed

    short = compressed(recipes.get("cifar10_resnet110"), 6_400)
    assert short.lr_boundaries == (3_200, 4_800) and short.warmup_steps == 40
    assert short.steps == 6_400 and short.lr_values == (0.1, 0.01, 0.001)


def test_importing_the_recipes_leaves_matplotlibs_backend_alone():
    code = (
        "import matplotlib\n"
        "matplotlib.use('svg')\n"
        "import keras_resnet.recipes\n"
        "print(matplotlib.get_backend())\n"
    )
    words = python_output(code)
    assert words[-1] == "svg"


def test_a_recipe_model_file_loads_after_import_keras_resnet_alone(tmp_path):
    model = keras_resnet.ResNet20(input_shape=(32, 32, 1))
    model.compile(optimizer=keras.optimizers.SGD(PaperSchedule([0.1, 0.01], [10])),
                  loss="sparse_categorical_crossentropy")  # fmt: skip
    path = str(tmp_path / "best.keras")
    model.save(path)
    code = (
        "import sys, keras, keras_resnet\n"
        f"m = keras.saving.load_model({path!r})\n"
        "print(type(m).__name__, type(m.optimizer._learning_rate).__name__,"
        " 'keras_resnet.recipes' in sys.modules)\n"
        "print(keras_resnet.recipes.load_model.__name__, keras_resnet.data.load.__name__)\n"
    )
    words = python_output(code)
    assert words[-5:] == ["ResNetModel", "PaperSchedule", "False", "load_model", "load"]


@pytest.mark.slow
def test_deterministic_runs_side_by_side_killed_or_interrupted_are_bit_identical(
    tmp_path, fashion_dir
):
    def command(name):
        return [sys.executable, "-m", "keras_resnet.cli", "train", "--recipe",
                "fashion_mnist_resnet20", "--epochs", "4", "--steps-per-epoch", "2",
                "--batch-size", "32", "--validation-steps", "1", "--compress-schedule",
                "--seed", "0", "--deterministic", "--data-dir", fashion_dir,
                "--output", str(tmp_path / name)]  # fmt: skip

    # Three runs at once on the CPU (two cores here): one uninterrupted; one stopped with
    # Ctrl-C after its first epoch; one killed (-9) once its second epoch is backed up, whose
    # latest backup is then cut in half, so it resumes from the previous copy (epoch 1).
    # Equal to the bit: same-seed runs repeat under load, and resuming changes nothing.
    # Files, not pipes: nothing reads them while the runs go on (the children keep copies).
    log, interrupted_log = tmp_path / "first.log", tmp_path / "interrupted.log"
    with log.open("w") as errors, interrupted_log.open("w") as interrupted_errors:
        first = subprocess.Popen(command("first"), stdout=subprocess.DEVNULL, stderr=errors)
        interrupted = start_interruptible(command("interrupted"), stdout=subprocess.DEVNULL,
                                          stderr=interrupted_errors)  # fmt: skip
    killed = subprocess.Popen(command("killed"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    signal_when([
        (interrupted, lambda: backed_up_epochs(tmp_path / "interrupted") >= 1, signal.SIGINT),
        (killed, lambda: backed_up_epochs(tmp_path / "killed") >= 2, signal.SIGKILL),
    ])  # fmt: skip
    killed.wait()
    interrupted.wait(timeout=120)
    err = interrupted_log.read_text()
    assert interrupted.returncode == 130 and "Traceback" not in err, err[-3000:]
    assert err.strip().splitlines()[-1].startswith("keras-resnet train: interrupted after epoch")
    assert err.strip().endswith("rerun the same command to resume")
    latest = tmp_path / "killed" / "backup" / "latest.weights.h5"
    assert (tmp_path / "killed" / "backup" / "latest.weights.h5.bkp").exists()
    latest.write_bytes(latest.read_bytes()[: latest.stat().st_size // 2])
    resumed = subprocess.run(command("killed"), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0 and "resuming from its previous copy" in resumed.stderr
    subprocess.run(command("interrupted"), check=True, capture_output=True, timeout=600)
    assert first.wait(timeout=600) == 0, log.read_text()[-3000:]
    assert json.loads((tmp_path / "first" / "metrics.json").read_text())["pipeline"] == "memory"
    for name in ("interrupted", "killed"):
        with open(tmp_path / name / "history.csv") as f:
            rows = list(csv.DictReader(f))
        assert [row["epoch"] for row in rows] == ["0", "1", "2", "3"], name  # each epoch once
        assert rows[-1]["iterations"] == "8"
    weights = [
        keras.saving.load_model(tmp_path / name / "last.keras").get_weights()
        for name in ("first", "interrupted", "killed")
    ]
    for other in weights[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(weights[0], other, strict=True))

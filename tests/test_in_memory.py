"""Recipes on the in-memory path: the training stream, the pipeline a run keeps, training on
JAX and PyTorch where TensorFlow is not installed, and extras that do not pull it in."""

import importlib.metadata
import json
import re

import h5py
import numpy as np
import pytest
from helpers import python_output, python_without_tensorflow

from keras_resnet.data.stream import TrainingStream
from keras_resnet.recipes.data_source import choose_pipeline
from keras_resnet.recipes.depth_study import _claim_folder
from keras_resnet.recipes.run_folder import RunFolder


def test_the_stream_resumes_where_it_stopped_and_shows_each_image_once_per_pass():
    images = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1)
    stream = TrainingStream(images, np.arange(10), batch_size=4, seed=3)
    batches = [stream.batch(step) for step in range(5)]  # 20 images: two passes of 10
    seen = np.concatenate([labels for _, labels in batches])
    assert sorted(seen[:10]) == list(range(10)) and sorted(seen[10:]) == list(range(10))
    assert not np.array_equal(seen[:10], seen[10:])  # each pass its own order
    positions = np.concatenate([p for (_, p), _ in batches])
    assert positions.tolist() == list(range(20))
    resumed = iter(TrainingStream(images, np.arange(10), batch_size=4, seed=3, start_step=3))
    for step in (3, 4):
        (x, _), y = next(resumed)
        np.testing.assert_array_equal(x, batches[step][0][0])
        np.testing.assert_array_equal(y, batches[step][1])
    other_seed = TrainingStream(images, np.arange(10), batch_size=10, seed=4).batch(0)[1]
    assert not np.array_equal(other_seed, seen[:10])
    (_, _), one_hot = TrainingStream(images, np.arange(10), batch_size=2, seed=0,
                                     classes=10).batch(0)  # fmt: skip
    assert one_hot.shape == (2, 10) and one_hot.dtype == np.float32


def test_a_run_keeps_its_pipeline_and_refuses_to_resume_with_another(tmp_path):
    folder = lambda: RunFolder(str(tmp_path))  # noqa: E731 (a fresh read each time)
    assert choose_pipeline(None, "fashion_mnist", folder()) == "memory"
    assert choose_pipeline(None, "imagenet2012", folder()) == "tfdata"
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "training_metadata.json").write_text('{"epoch": 1, "batch": 0}')
    with h5py.File(backup / "latest.weights.h5", "w"):
        pass
    (tmp_path / "history.csv").write_text("epoch,accuracy,iterations,loss\n0,0.5,10,1.0\n")
    # A resume state from before the choice was made by tf.data; the default keeps it.
    assert choose_pipeline(None, "fashion_mnist", folder()) == "tfdata"
    assert folder().resume_epochs(4, 10) == 1
    with pytest.raises(ValueError, match=r"started with pipeline='tfdata'.*--pipeline tfdata"):
        choose_pipeline("memory", "fashion_mnist", folder())  # before any data is read
    folder().record_pipeline("memory")
    assert choose_pipeline(None, "fashion_mnist", folder()) == "memory"
    assert choose_pipeline("memory", "fashion_mnist", folder()) == "memory"


def test_a_study_keeps_its_pipeline_and_one_from_before_the_choice_is_tfdata(tmp_path):
    settings = {"dataset": "fashion_mnist", "epochs": 1, "seed": 0, "mixed_precision": None,
                "steps": None, "steps_per_epoch": None, "validation_steps": None,
                "batch_size": None}  # fmt: skip
    assert _claim_folder(str(tmp_path / "new"), {**settings, "pipeline": None},
                         [("resnet", 8)])["pipeline"] == "memory"  # fmt: skip
    old = tmp_path / "old"
    old.mkdir()
    (old / "study.json").write_text(json.dumps({**settings, "nets": ["resnet8"]}))
    assert _claim_folder(str(old), {**settings, "pipeline": None}, [("plain", 8)])["pipeline"] == (
        "tfdata"
    )
    with pytest.raises(ValueError, match=r"pipeline='tfdata'.*pipeline='memory'"):
        _claim_folder(str(old), {**settings, "pipeline": "memory"}, [("plain", 8)])


def _requirement_names(distribution: str, extra: str | None = None) -> set[str]:
    """The distributions ``distribution`` requires (with ``extra``'s, where given)."""
    try:
        requirements = importlib.metadata.requires(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        return set()
    names = set()
    for requirement in requirements:
        name, _, marker = requirement.partition(";")
        if "extra ==" in marker and (extra is None or f'extra == "{extra}"' not in marker):
            continue
        names.add(re.split(r"[\s<>=!~\[(;]", name.strip(), maxsplit=1)[0].lower())
    return names


def test_the_jax_and_torch_extras_do_not_pull_in_tensorflow():
    """The installed metadata's requirement graph: the package with [jax] or [torch] and
    everything those need (Keras, JAX, PyTorch, ...) never reaches TensorFlow."""
    for extra in ("jax", "torch"):
        todo, seen = _requirement_names("keras-resnet-zoo", extra), set()
        while todo:
            name = todo.pop()
            seen.add(name)
            todo |= _requirement_names(name) - seen
        assert {"keras", extra} <= seen, (extra, sorted(seen))
        assert not {n for n in seen if n.startswith(("tensorflow", "tensorboard"))}, extra


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_a_recipe_trains_on_the_backend_where_tensorflow_is_not_installed(
    backend, tmp_path_factory, tmp_path
):
    farm = tmp_path_factory.getbasetemp() / "without_tensorflow"
    code = (
        "import os, sys\n"
        f"os.environ['KERAS_BACKEND'] = {backend!r}\n"
        "from keras_resnet import cli\n"
        f"code = cli.main(['train', '--recipe', 'fashion_mnist_resnet20', '--steps', '4',\n"
        "     '--steps-per-epoch', '2', '--batch-size', '32', '--validation-steps', '1',\n"
        f"     '--seed', '0', '--output', {str(tmp_path / 'run')!r}])\n"
        "import keras, keras_resnet\n"
        f"model = keras.saving.load_model({str(tmp_path / 'run' / 'last.keras')!r})\n"
        "print(code, keras.backend.backend(), type(model).__name__, 'tensorflow' in sys.modules)\n"
        "try:\n"
        "    keras_resnet.data.load\n"
        "except ImportError as error:\n"
        "    print('needs TensorFlow' in str(error))\n"
        "from PIL import Image\n"
        f"image = {str(tmp_path / 'boot.png')!r}\n"
        "Image.new('L', (28, 28), 200).save(image)\n"
        "for crops in ('center', 'ten'):\n"
        f"    cli.main(['evaluate', {str(tmp_path / 'run' / 'last.keras')!r}, '--dataset',\n"
        "              'fashion_mnist', '--crops', crops, '--limit', '24', '--batch-size', '20'])\n"
        "cli.main(['predict', image, '--top', '10', '--model',\n"
        f"          {str(tmp_path / 'run' / 'last.keras')!r}])\n"
        "try:  # an ImageNet-style model's view needs tf.image\n"
        "    keras_resnet.recipes.predict_files(keras_resnet.ResNet20(), [image])\n"
        "except ImportError as error:\n"
        "    print('tensorflow' in sys.modules, error)\n"
    )
    words = python_without_tensorflow(code, farm)
    text = " ".join(words)
    assert f"0 {backend} ResNetModel False True" in text
    # evaluate (centre and 10 crops) and predict on the in-memory data: no TensorFlow
    assert text.count("24 images") == 2 and "boot.png:" in text and "Ankle boot" in text
    assert text.endswith("False Predicting with an ImageNet-style view (resize and crop) needs "
                         "TensorFlow: pip install 'keras-resnet-zoo[tensorflow]'.")  # fmt: skip
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["pipeline"] == "memory" and metrics["iterations"] == 4
    assert not (tmp_path / "run" / "logs").exists()  # TensorBoard logs need TensorFlow


@pytest.mark.slow
def test_mirrored_on_jax_trains_and_resumes_the_memory_path_on_two_devices(tmp_path):
    """Keras' DataParallel over two forced host devices; TensorFlow's MirroredStrategy trains
    the memory path in test_recipes (the recipes' default there)."""
    code = (
        "import os\n"
        "os.environ['KERAS_BACKEND'] = 'jax'\n"
        "os.environ['XLA_FLAGS'] = '--xla_force_host_platform_device_count=2'\n"
        "import keras\n"
        "from keras_resnet import recipes\n"
        f"options = dict(output_dir={str(tmp_path / 'run')!r}, steps=4, steps_per_epoch=2,\n"
        "    validation_steps=1, batch_size=32, seed=0, verbose=0, strategy='mirrored',\n"
        "    pipeline='memory', steps_per_execution=2)\n"
        "class Stop(keras.callbacks.Callback):\n"
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        raise KeyboardInterrupt\n"
        "try:\n"
        "    recipes.train('fashion_mnist_resnet20', callbacks=[Stop()], **options)\n"
        "except KeyboardInterrupt:\n"
        "    pass\n"
        "r = recipes.train('fashion_mnist_resnet20', **options)\n"
        "print(r.metrics['replicas'], r.metrics['iterations'], len(r.history.epoch))\n"
    )
    assert python_output(code)[-3:] == ["2", "4", "1"]  # two devices, resumed after epoch 1

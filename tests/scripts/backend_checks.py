"""The multi-backend checks, run in a fresh process under the backend ``KERAS_BACKEND`` names.

    KERAS_BACKEND=jax BACKEND_CHECKS_EXPECT=tensorflow,jax,torch \
        python tests/scripts/backend_checks.py OUT_DIR FASHION_DATA_DIR [CHECK ...]

Each check prints one line ``RESULT {"check": ..., "ok": ..., ...}`` (the figures it measured,
or the error), so the test reports every failing check, not only the first. ``OUT_DIR`` is
shared by the backends, which run at the same time: each saves ``<backend>.keras`` with its
outputs on fixed inputs (``<backend>.npy``), waits for the files of the backends named in
``BACKEND_CHECKS_EXPECT`` and loads every one.
"""

import contextlib
import glob
import json
import os
import sys
import time
import traceback

TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ROOT = os.path.join(TESTS, "..")


def _import_builds_without_tensorflow() -> dict:
    import keras_resnet

    model = keras_resnet.ResNet20()
    return {"tensorflow_imported": "tensorflow" in sys.modules, "outputs": model.output_shape[1]}


def _constructors_and_counts() -> dict:
    from helpers import trainable_params
    from paper_numbers import PARAMS

    import keras_resnet

    # Every named constructor (ResNet-1202 is counted by the slow TensorFlow test) and the
    # reference's other shortcut options; each model is built once.
    names = [
        name.lower() for name in keras_resnet.models.__all__
        if name.startswith(("ResNet", "Plain")) and name[-1].isdigit() and name != "ResNet1202"
    ]  # fmt: skip
    cases = {(name, ()): None for name in names}
    cases.update({(name, tuple(sorted(options.items()))): expected
                  for name, options, expected in PARAMS})  # fmt: skip
    wrong, flops = {}, None
    for (name, options), expected in cases.items():
        model = keras_resnet.get_model(name, weights=None, **dict(options))
        if expected is not None and trainable_params(model) != expected:
            wrong[f"{name} {options}"] = trainable_params(model)
        if name == "resnet50" and not options:
            flops = keras_resnet.count_flops(model)
    assert not wrong and flops == 4_089_184_256, (wrong, flops)
    return {"constructors": len(names), "counts": len(PARAMS), "resnet50_flops": flops}


def _feature_extractor() -> dict:
    import numpy as np

    import keras_resnet

    features = keras_resnet.feature_extractor(
        keras_resnet.ResNet18(weights=None, input_shape=(64, 64, 3))
    )
    out = features(np.zeros((1, 64, 64, 3), "float32"))
    return {"shapes": {name: list(value.shape) for name, value in sorted(out.items())}}


def _preprocess_and_decode() -> dict:
    import numpy as np

    import keras_resnet

    x = keras_resnet.preprocess_input(np.full((1, 4, 4, 3), 255.0, "float32"))
    top = keras_resnet.decode_predictions(np.eye(1000, dtype="float32")[[1]], top=1)
    return {"preprocessed": round(float(x[0, 0, 0, 0]), 4), "top1": top[0][0][1]}


def _torchvision_parity() -> dict:
    from helpers import relative_error
    from reference_weights import IMAGE_SIZE, random_images, reference
    from safetensors.numpy import save_file

    import keras_resnet

    errors = {}
    for depth in (18, 50):
        state, expected = reference(depth)
        path = os.path.join(OUT, f"tv{depth}-{BACKEND}.safetensors")
        save_file(state, path)
        model = keras_resnet.get_model(f"resnet{depth}", weights=path, classifier_activation=None,
                                       input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3))  # fmt: skip
        logits = model.predict_on_batch(random_images(seed=depth))
        errors[depth] = relative_error(logits, expected)
        assert errors[depth] < 1e-4 and (logits.argmax(1) == expected.argmax(1)).all(), errors
    return {"relative_errors": errors}


def _save_and_load_across_backends() -> dict:
    import keras
    import numpy as np
    from helpers import random_bn_statistics

    import keras_resnet

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 32, 32, 3)).astype("float32")
    model = keras_resnet.ResNet20(classifier_activation=None)
    random_bn_statistics(model, rng)  # a real test of every variable
    np.save(os.path.join(OUT, f"{BACKEND}.npy"), np.asarray(model.predict_on_batch(x)))
    model.save(os.path.join(OUT, f".{BACKEND}.keras"))
    os.replace(os.path.join(OUT, f".{BACKEND}.keras"), os.path.join(OUT, f"{BACKEND}.keras"))
    # The backends run at the same time: wait for the files of those named in EXPECT.
    expected_files = {os.path.join(OUT, f"{name}.keras") for name in EXPECT}
    deadline = time.monotonic() + 300
    while not all(map(os.path.exists, expected_files)) and time.monotonic() < deadline:
        time.sleep(1)
    loaded = {}
    for path in sorted(glob.glob(os.path.join(OUT, "*.keras"))):
        other = keras.saving.load_model(path)
        expected = np.load(path[: -len(".keras")] + ".npy")
        actual = np.asarray(other.predict_on_batch(x))
        loaded[os.path.basename(path)] = float(
            np.max(np.abs(actual - expected)) / np.max(np.abs(expected))
        )
    assert all(error <= 1e-5 for error in loaded.values()), loaded
    return {"loaded": loaded}


def _train_and_resume() -> dict:
    """``recipes.train`` (``model.fit`` on the ``keras_resnet.data`` pipeline) stopped after
    its first epoch, then the same call again: it resumes from the backup, on JAX under
    ``strategy="mirrored"`` (Keras' DataParallel); PyTorch refuses that strategy by name."""
    import keras

    from keras_resnet import recipes
    from keras_resnet.recipes.distribute import resolve_strategy
    from keras_resnet.recipes.registry import family_recipe

    class Stop(keras.callbacks.Callback):  # a crash after the first epoch's backup
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    recipe = family_recipe("fashion_mnist", "resnet", 8)  # the 20-layer recipe, 8 layers
    out = os.path.join(OUT, f"train-{BACKEND}")
    options = dict(output_dir=out, steps=4, steps_per_epoch=2, validation_steps=1,
                   batch_size=32, data_dir=DATA_DIR, seed=0, verbose=0)  # fmt: skip
    with contextlib.suppress(KeyboardInterrupt):
        recipes.train(recipe, callbacks=[Stop()], **options)
    backup = sorted(os.listdir(os.path.join(out, "backup")))
    try:
        result = recipes.train(recipe, strategy="mirrored", **options)
        strategy = type(resolve_strategy("mirrored")).__name__
        mirrored = {"replicas": result.metrics["replicas"], "strategy": strategy}
    except ValueError as error:
        mirrored = {"refused": str(error)}
        result = recipes.train(recipe, **options)
    epochs = len(result.history.epoch)
    assert backup and epochs == 1 and result.metrics["epochs"] == 2, (backup, epochs)
    return {"backup": backup, "epochs_after_resume": epochs, "mirrored": mirrored,
            "test_accuracy": result.metrics["test_accuracy"]}  # fmt: skip


def _frozen_batchnorm_fine_tuning() -> dict:
    import keras
    import numpy as np

    from keras_resnet.recipes import transfer

    backbone, _ = transfer.pretrained_backbone("resnet20", None, 32)
    model = transfer.transfer_classifier(
        backbone, ["a", "b", "c"], mean=(0.5,) * 3, std=(1.0,) * 3, origin="test", arch="resnet20"
    )
    transfer.set_phase(backbone, "whole")  # as recipes.fine_tune's second phase
    norms = [x for x in backbone.layers if isinstance(x, keras.layers.BatchNormalization)]
    before = [np.array(w) for x in norms for w in (x.moving_mean, x.moving_variance)]
    kernel = np.array(backbone.get_layer("conv1_conv").kernel)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (16, 32, 32, 3)).astype("float32")  # [0, 1] images, as it is fed
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    model.fit(x, rng.integers(0, 3, 16), batch_size=8, epochs=1, verbose=0)
    after = [np.array(w) for x in norms for w in (x.moving_mean, x.moving_variance)]
    moved = sum(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    trained = not np.array_equal(kernel, np.array(backbone.get_layer("conv1_conv").kernel))
    assert moved == 0 and trained, (moved, trained)
    return {"moving_statistics_changed": moved, "kernels_trained": trained}


def _export() -> dict:
    """The formats Keras writes on this backend, checked in their runtimes; the others
    refused by name."""
    import keras

    import keras_resnet
    from keras_resnet.deploy.formats import BACKEND_FORMATS

    model = keras_resnet.ResNet20(classifier_activation=None)
    files = {"tf_saved_model": "saved", "onnx": "m.onnx", "openvino": "m.xml", "litert": "m.tflite"}
    written, refused = {}, []
    for format, name in files.items():
        path = os.path.join(OUT, f"export-{BACKEND}", name)
        try:
            result = keras_resnet.export(model, path, format=format)
            written[format] = result.relative_error
        except ValueError as error:
            assert f"on the {keras.backend.backend()} backend" in str(error), error
            refused.append(format)
    assert sorted(written) == sorted(BACKEND_FORMATS[BACKEND]), written
    return {"written": written, "refused": refused}


def _memory_augmentation() -> dict:
    """The in-memory path's random numbers and augmentation, to compare across backends."""
    import hashlib

    import numpy as np

    from keras_resnet.data import on_device

    bits = np.asarray(on_device.random_bits(7, np.arange(123, 379), 3))
    x = np.arange(2 * 8 * 8 * 3, dtype="float32").reshape(2, 8, 8, 3)
    out = np.asarray(on_device.pad_crop_flip(x, 7, [5, 6]))
    crops = np.asarray(on_device.random_resized_crop_flip(x, 7, [5, 6]))  # bilinear: not bits
    return {
        **{name: hashlib.sha256(a.tobytes()).hexdigest() for name, a in (("bits", bits),
                                                                         ("out", out))},
        "crops": crops.ravel().tolist(),
    }  # fmt: skip


CHECKS = {
    "import": _import_builds_without_tensorflow,
    "constructors": _constructors_and_counts,
    "feature_extractor": _feature_extractor,
    "imagenet_utils": _preprocess_and_decode,
    "parity": _torchvision_parity,
    "save_load": _save_and_load_across_backends,
    "train_resume": _train_and_resume,
    "frozen_bn": _frozen_batchnorm_fine_tuning,
    "export": _export,
    "memory": _memory_augmentation,
}

if __name__ == "__main__":
    sys.path.insert(0, TESTS)
    OUT, DATA_DIR = sys.argv[1], sys.argv[2]
    BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
    EXPECT = os.environ.get("BACKEND_CHECKS_EXPECT", BACKEND).split(",")
    for name in sys.argv[3:] or CHECKS:
        start = time.perf_counter()
        try:
            result = {"check": name, "ok": True, **CHECKS[name]()}
        except Exception as error:  # reported to the test with its traceback
            result = {"check": name, "ok": False, "error": repr(error),
                      "traceback": traceback.format_exc()[-2000:]}  # fmt: skip
        result["seconds"] = round(time.perf_counter() - start, 1)
        print("RESULT " + json.dumps(result, default=str), flush=True)

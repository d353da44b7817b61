"""Inference on CPU: every deployment path against keras.applications.ResNet50, in one process.

Table 1, speed: ResNet-50 (v1.5, 224x224, random weights and random BN statistics) images/s at
batch 16 and batch 1 for keras.applications ResNet50 fp32 (the baseline, 1.00x), ours fp32,
ours BN-folded, ours under the bfloat16 dtype policy, and each export runtime (LiteRT, ONNX
Runtime, OpenVINO) in fp32, reduced precision and int8. Measured interleaved (round-robin over
the paths, median over rounds, the spread printed) so machine noise hits all of them alike.
The int8 files are written with random calibration images (speed does not depend on them).

Table 2, accuracy: no trained ResNet-50 can be fetched here, so each path's accuracy is
measured on the ResNet-20 trained on Fashion-MNIST (tests/fixtures): every artifact made by
``keras_resnet.export`` (checked on 512 training images), then images/s at batch 16,
accuracy on the first ``--test-images`` test images and top-1 agreement with Keras fp32.

    python bench/inference.py [--rounds 5] [--test-images 2000] [--skip-resnet50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

# bench/precision.py, beside this script: the CPU's flags from /proc/cpuinfo.
from precision import cpu_flags

import keras_resnet
from keras_resnet import data
from keras_resnet.deploy import formats
from keras_resnet.recipes.depth_study import machine_description
from keras_resnet.recipes.evaluation import load_model

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures",
                       "fashion_mnist_resnet20.keras")  # fmt: skip
#: (format, quantize, file name) of every exported path.
EXPORTS = [
    ("litert", None, "fp32.tflite"), ("litert", "float16", "fp16.tflite"),
    ("litert", "int8", "int8.tflite"), ("onnx", None, "fp32.onnx"), ("onnx", "int8", "int8.onnx"),
    ("openvino", None, "fp32.xml"), ("openvino", "bfloat16", "bf16.xml"),
    ("openvino", "int8", "int8.xml"),
]  # fmt: skip


def _keras_forward(model: keras.Model):
    forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    return lambda x: np.asarray(forward(tf.constant(x)), np.float32)


def _random_statistics(model: keras.Model, rng) -> None:
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.2, n),
                               rng.normal(0, 0.5, n), rng.uniform(0.5, 2, n)])  # fmt: skip


def _bfloat16_copy(model: keras.Model, build) -> keras.Model:
    """``build()`` under the bfloat16 dtype policy, with ``model``'s weights."""
    keras.config.set_dtype_policy("bfloat16")
    try:
        copy = build()
    finally:
        keras.config.set_dtype_policy("float32")
    copy.set_weights(model.get_weights())
    return copy


def _label(format: str, quantize: str | None) -> str:
    return f"{format} {quantize or 'fp32'}"


def _paths(model: keras.Model, build, folder: str, calibrate) -> dict:
    """Every path's predict function: Keras ones and one per exported file."""
    paths = {
        "keras_resnet fp32": _keras_forward(model),
        "keras_resnet BN-folded": _keras_forward(keras_resnet.fold_batchnorm(model)),
        "keras_resnet bfloat16 policy": _keras_forward(_bfloat16_copy(model, build)),
    }
    for format, quantize, name in EXPORTS:
        path = os.path.join(folder, name)
        calibrate(model, format, path, quantize)
        paths[_label(format, quantize)] = formats.get(format).load(path, quantize)
    return paths


def interleaved_rates(paths: dict, batches: dict[int, np.ndarray], rounds: int) -> dict:
    """images/s per (path, batch size): round-robin over paths, each round timing each."""
    for predict in paths.values():
        for x in batches.values():
            predict(x)  # warm up, trace, allocate
    rates = {(name, size): [] for name in paths for size in batches}
    for _ in range(rounds):
        for name, predict in paths.items():
            for size, x in batches.items():
                repeats = max(1, 16 // size)
                start = time.perf_counter()
                for _ in range(repeats):
                    predict(x)
                rates[name, size].append(repeats * size / (time.perf_counter() - start))
    return rates


def _speed_table(rounds: int) -> None:
    rng = np.random.default_rng(0)

    def build():
        return keras_resnet.ResNet50(weights=None)

    model = build()
    _random_statistics(model, rng)
    calibration = rng.normal(size=(32, 224, 224, 3)).astype("float32")

    def write(model, format, path, quantize):  # unchecked: random weights, speed only
        network = keras_resnet.fold_batchnorm(model)
        formats.get(format).write(network, path, quantize, calibration)

    with tempfile.TemporaryDirectory() as folder:
        paths = {"keras.applications ResNet50 fp32": _keras_forward(
            keras.applications.ResNet50(weights=None))}  # fmt: skip
        paths.update(_paths(model, build, folder, write))
        batches = {16: calibration[:16], 1: calibration[:1]}
        rates = interleaved_rates(paths, batches, rounds)
    base = {size: statistics.median(rates[next(iter(paths)), size]) for size in batches}
    print(f"\nResNet-50 v1.5, 224x224, images/s (median of {rounds} rounds; min-max)\n")
    print("| path | batch 16 | ratio | batch 1 | ratio |\n|---|---|---|---|---|")
    for name in paths:
        cells = []
        for size in batches:
            values = rates[name, size]
            median = statistics.median(values)
            cells += [f"{median:.1f} ({min(values):.1f}-{max(values):.1f})",
                      f"{median / base[size]:.2f}x"]  # fmt: skip
        print(f"| {name} | " + " | ".join(cells) + " |")


def _accuracy_table(test_images: int, rounds: int) -> None:
    model = load_model(FIXTURE)
    test = data.load("fashion_mnist", "test", batch_size=test_images, training=False,
                     preprocessing=model)  # fmt: skip
    images, labels = (np.asarray(t) for t in next(iter(test)))
    labels = labels.reshape(-1)

    def build():
        return keras_resnet.ResNet20(input_shape=model.input_shape[1:], classes=10)

    def export(model, format, path, quantize):  # checked against Keras, as users get it
        keras_resnet.export(model, path, format=format, quantize=quantize,
                            calibration="fashion_mnist", samples=512)  # fmt: skip

    with tempfile.TemporaryDirectory() as folder:
        paths = _paths(model, build, folder, export)
        outputs = {name: np.concatenate([predict(images[i : i + 250])
                                         for i in range(0, len(images), 250)])
                   for name, predict in paths.items()}  # fmt: skip
        rates = interleaved_rates(paths, {16: images[:16]}, rounds)
    reference = outputs["keras_resnet fp32"].argmax(-1)
    print(f"\nResNet-20 trained on Fashion-MNIST, {len(images)} test images\n")
    print("| path | images/s (batch 16) | accuracy | agreement with fp32 |\n|---|---|---|---|")
    for name, output in outputs.items():
        predicted = output.argmax(-1)
        accuracy, agreement = np.mean(predicted == labels), np.mean(predicted == reference)
        rate = statistics.median(rates[name, 16])
        print(f"| {name} | {rate:.0f} | {accuracy:.2%} | {agreement:.2%} |")


def main() -> None:
    tf.get_logger().setLevel("ERROR")  # retracing notes: each path traces two batch shapes
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--test-images", type=int, default=2000)
    parser.add_argument("--skip-resnet50", action="store_true", help="table 2 only")
    args = parser.parse_args()
    versions = formats.get("onnx").versions() | formats.get("openvino").versions("int8")
    features = cpu_flags(("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8", "amx_bf16"))
    print(f"# {machine_description()} (CPU flags: {features}), {versions}")
    if not args.skip_resnet50:
        _speed_table(args.rounds)
    _accuracy_table(args.test_images, args.rounds)


if __name__ == "__main__":
    main()

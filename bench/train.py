"""Does the recipe machinery cost anything? ResNet-20 training speed through
``recipes.train`` against a minimal hand-written Keras ResNet-20 ``fit``, in one process.

Both train on the same Fashion-MNIST pipeline at batch 128 with SGD; the recipe adds its
schedule, weight decay, checkpoints, CSV/TensorBoard logging and backup. Runs alternate
(hand-written, recipe, hand-written, recipe); the first batch of each run (tracing) is left
out. Prints images/s and the ratio. Goal: at least 0.95x. It also prints what
``--deterministic`` costs: the recipe with TensorFlow's op determinism and one op at a time,
which stay on for the rest of a process, so those runs happen in a child process.

    python bench/train.py [--data-dir DIR] [--steps 30] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import tensorflow as tf
from keras import layers

from keras_resnet import data, recipes
from keras_resnet.recipes.train import Throughput


def hand_written_resnet20(input_shape=(32, 32, 1), classes=10) -> keras.Model:
    """The baseline: ResNet-20 as one would write it in a few lines (projection shortcuts)."""
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    for stage, filters in enumerate((16, 32, 64)):
        for block in range(3):
            strides = 2 if stage > 0 and block == 0 else 1
            y = layers.Conv2D(filters, 3, strides, padding="same", use_bias=False)(x)
            y = layers.ReLU()(layers.BatchNormalization()(y))
            y = layers.BatchNormalization()(
                layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
            )
            if strides != 1 or x.shape[-1] != filters:
                x = layers.BatchNormalization()(
                    layers.Conv2D(filters, 1, strides, use_bias=False)(x)
                )
            x = layers.ReLU()(layers.Add()([x, y]))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(classes, activation="softmax")(x))


def baseline_rate(data_dir, steps: int) -> float:
    ds = data.load("fashion_mnist", batch_size=128, data_dir=data_dir, seed=0, repeat=True)
    model = hand_written_resnet20()
    model.compile(
        optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    throughput = Throughput(128)
    model.fit(ds, epochs=1, steps_per_epoch=steps, callbacks=[throughput], verbose=0)
    return throughput.images_per_second


def recipe_rate(data_dir, steps: int, deterministic: bool = False, mixed_precision=None) -> float:
    """Images/s of ``recipes.train("fashion_mnist_resnet20")`` over ``steps`` steps."""
    with tempfile.TemporaryDirectory() as out:
        result = recipes.train(
            "fashion_mnist_resnet20", output_dir=out, steps=steps, steps_per_epoch=steps,
            data_dir=data_dir, seed=0, validation_steps=1, verbose=0,
            deterministic=deterministic, mixed_precision=mixed_precision,
        )  # fmt: skip
    return result.metrics["images_per_second"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--deterministic-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.deterministic_child:
        print(recipe_rate(args.data_dir, args.steps, deterministic=True))
        return
    # As `keras-resnet train --deterministic` runs: one op at a time from TensorFlow's start.
    one_op_at_a_time = {**os.environ, "TF_NUM_INTEROP_THREADS": "1"}
    child = [sys.executable, __file__, "--deterministic-child", "--steps", str(args.steps)]
    child += ["--data-dir", args.data_dir] if args.data_dir else []
    baseline, recipe, deterministic = [], [], []
    for _ in range(args.rounds):
        baseline.append(baseline_rate(args.data_dir, args.steps))
        recipe.append(recipe_rate(args.data_dir, args.steps))
        output = subprocess.run(
            child, check=True, capture_output=True, text=True, env=one_op_at_a_time
        ).stdout
        deterministic.append(float(output.split()[-1]))
    b, r = statistics.median(baseline), statistics.median(recipe)
    d = statistics.median(deterministic)
    print(f"# {platform.machine()}, {os.cpu_count()} cores, TF {tf.__version__}, batch 128")
    print(f"hand-written ResNet-20 fit:  {b:7.1f} img/s  (runs: {[round(v) for v in baseline]})")
    print(f"recipes.train ResNet-20:     {r:7.1f} img/s  (runs: {[round(v) for v in recipe]})")
    print(f"ratio (recipe / baseline):   {r / b:7.2f}x")
    print(
        f"recipe with --deterministic: {d:7.1f} img/s  (runs: {[round(v) for v in deterministic]})"
    )
    print(f"ratio (deterministic / recipe): {d / r:4.2f}x")


if __name__ == "__main__":
    main()

"""Does ``mixed_bfloat16`` pay on this machine? ResNet-20 training speed in float32 and in
``mixed_bfloat16``, in one process.

Two measurements per policy, alternating (float32, bfloat16, float32, bfloat16, ...):

- the net alone: ``keras_resnet.ResNet20`` ``fit`` on one synthetic batch of 128 held in
  memory (no input pipeline), so the ratio is the convolutions' and BN's;
- the recipe: ``recipes.train("fashion_mnist_resnet20", mixed_precision=...)`` on the real
  Fashion-MNIST pipeline (augmentation included), as a user's training run sees it.

The first batch of each run (tracing) is left out. Prints images/s, the ratios and whether the
CPU reports AVX-512 BF16 / AMX (without them bfloat16 has no hardware support).

    python bench/precision.py [--data-dir DIR] [--steps 40] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

# bench/train.py, beside this script: recipes.train's images/s over a few steps.
from train import recipe_rate

import keras_resnet
from keras_resnet.recipes.callbacks import Throughput
from keras_resnet.recipes.depth_study import machine_description
from keras_resnet.recipes.process_settings import dtype_policy

POLICIES = ("float32", "mixed_bfloat16")


def cpu_flags(wanted: tuple[str, ...] = ("avx512_bf16", "amx_bf16")) -> str:
    """Which of ``wanted`` the CPU reports in /proc/cpuinfo, e.g. ``"avx512_bf16 amx_bf16"``."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":")[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return "unknown"
    return " ".join(flag for flag in wanted if flag in flags) or "none"


def net_rate(policy: str, steps: int) -> float:
    """Images/s of ResNet-20 ``fit`` on one in-memory batch under ``policy``."""
    rng = np.random.default_rng(0)
    images = rng.standard_normal((128, 32, 32, 1)).astype("float32")
    labels = rng.integers(0, 10, 128)
    batches = tf.data.Dataset.from_tensors((images, labels)).repeat()
    with dtype_policy(policy):
        model = keras_resnet.ResNet20(weights=None, input_shape=(32, 32, 1), classes=10)
    model.compile(
        optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
        loss="sparse_categorical_crossentropy",
    )
    throughput = Throughput(128)
    model.fit(batches, epochs=1, steps_per_epoch=steps, callbacks=[throughput], verbose=0)
    return throughput.images_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for name in ("steps", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} should be a positive integer. Received: {getattr(args, name)}")
    net = {policy: [] for policy in POLICIES}
    recipe = {policy: [] for policy in POLICIES}
    for _ in range(args.rounds):
        for policy in POLICIES:
            net[policy].append(net_rate(policy, args.steps))
            recipe[policy].append(recipe_rate(args.data_dir, args.steps, mixed_precision=policy))
    print(
        f"# {machine_description()}, TF {tf.__version__}, batch 128, "
        f"CPU bfloat16 flags: {cpu_flags()}"
    )
    for label, rates in (("ResNet-20 net alone", net), ("recipes.train", recipe)):
        medians = {policy: statistics.median(values) for policy, values in rates.items()}
        for policy, values in rates.items():
            runs = [round(v) for v in values]
            print(f"{label:20} {policy:15} {medians[policy]:7.1f} img/s  (runs: {runs})")
        ratio = medians["mixed_bfloat16"] / medians["float32"]
        print(f"{label:20} ratio (bfloat16 / float32): {ratio:.2f}x")


if __name__ == "__main__":
    main()

"""ResNet-50 inference throughput against keras.applications.ResNet50, in one process.

Prints images/s for each model and its ratio to keras.applications, measured interleaved
(round-robin over the models, median over rounds) so machine noise hits all of them alike.

    python bench/inference.py [--batch-size 16] [--rounds 7] [--batches 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

import keras_resnet


def _forward(model: keras.Model):
    return tf.function(lambda x: model(x, training=False), reduce_retracing=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batches", type=int, default=3, help="batches timed per round")
    args = parser.parse_args()

    models = {
        "keras.applications ResNet50": keras.applications.ResNet50(weights=None),
        "keras_resnet ResNet50 v1": keras_resnet.ResNet50(weights=None, variant="v1"),
        "keras_resnet ResNet50 v1.5": keras_resnet.ResNet50(weights=None),
    }
    images = tf.constant(
        np.random.default_rng(0).uniform(0, 255, (args.batch_size, 224, 224, 3)), tf.float32
    )
    forwards = {name: _forward(model) for name, model in models.items()}
    for forward in forwards.values():  # trace and warm up
        forward(images).numpy()

    rates: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, forward in forwards.items():
            start = time.perf_counter()
            for _ in range(args.batches):
                forward(images).numpy()
            rates[name].append(args.batches * args.batch_size / (time.perf_counter() - start))

    baseline = statistics.median(rates["keras.applications ResNet50"])
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"TF {tf.__version__}, Keras {keras.__version__}, batch {args.batch_size}, "
        f"median of {args.rounds} rounds"
    )
    print(f"{'model':<30} {'mult-adds':>10} {'img/s':>8} {'ratio':>7}")
    for name, model in models.items():
        rate = statistics.median(rates[name])
        flops = keras_resnet.count_flops(model) / 1e9
        print(f"{name:<30} {flops:>9.3f}G {rate:>8.1f} {rate / baseline:>6.2f}x")


if __name__ == "__main__":
    main()

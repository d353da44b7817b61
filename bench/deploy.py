"""What BatchNormalization folding buys at inference: ResNet-50 (random weights, random BN
statistics) ``predict_on_batch`` images/s, the model as built (baseline) against
``keras_resnet.fold_batchnorm(model)``, alternating in one process; median of the rounds.

    python bench/deploy.py [--batch 16] [--size 224] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

import keras_resnet


def images_per_second(model, x, repeats: int = 5) -> float:
    model.predict_on_batch(x)  # trace
    start = time.perf_counter()
    for _ in range(repeats):
        model.predict_on_batch(x)
    return repeats * len(x) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    model = keras_resnet.ResNet50(weights=None, input_shape=(args.size, args.size, 3))
    for layer in model.layers:
        if hasattr(layer, "moving_variance"):
            n = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.2, n),
                               rng.normal(0, 0.5, n), rng.uniform(0.5, 2, n)])  # fmt: skip
    folded = keras_resnet.fold_batchnorm(model)
    x = rng.normal(size=(args.batch, args.size, args.size, 3)).astype("float32")
    error = np.max(np.abs(folded.predict_on_batch(x) - model.predict_on_batch(x)))
    base, fold = [], []
    for _ in range(args.rounds):
        base.append(images_per_second(model, x))
        fold.append(images_per_second(folded, x))
    b, f = statistics.median(base), statistics.median(fold)
    cores = os.cpu_count()
    print(f"# {platform.machine()}, {cores} cores, ResNet-50 {args.size}px, batch {args.batch}")
    print(f"as built (baseline):  {b:6.1f} images/s  (runs: {[round(v, 1) for v in base]})")
    print(f"fold_batchnorm:       {f:6.1f} images/s  (runs: {[round(v, 1) for v in fold]})")
    print(f"ratio: {f / b:.2f}x   max |difference| of the softmax outputs: {error:.1e}")


if __name__ == "__main__":
    main()

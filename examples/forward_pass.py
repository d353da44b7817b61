"""One forward pass of ResNet-50 on a synthetic image: shapes, multiply-adds, speed.

Part of `make demo` until the training recipes land. Random weights: the pretrained zoo
(weights="imagenet") arrives in a later release.

    python examples/forward_pass.py [--model resnet50] [--batch-size 8]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

import keras_resnet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet50", choices=keras_resnet.list_models())
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()

    model = keras_resnet.get_model(args.model, weights=None)
    shape = model.input_shape[1:]
    images = np.random.default_rng(0).uniform(-1, 1, (args.batch_size, *shape)).astype("float32")
    model.predict(images, verbose=0)  # trace once
    start = time.perf_counter()
    probabilities = model.predict(images, verbose=0)
    seconds = time.perf_counter() - start

    print(f"{model.name}: input {shape}, output {probabilities.shape[1:]}")
    print(f"multiply-adds per image: {keras_resnet.count_flops(model) / 1e9:.3f} G")
    print(f"probabilities sum to {probabilities.sum(axis=1).round(4).tolist()}")
    print(
        f"forward pass: {args.batch_size} images in {seconds:.2f} s "
        f"({args.batch_size / seconds:.1f} images/s)"
    )


if __name__ == "__main__":
    main()

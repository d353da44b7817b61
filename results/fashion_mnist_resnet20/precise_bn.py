"""Test accuracy of a trained Fashion-MNIST model before and after "precise BN": every
BatchNormalization's moving mean and variance replaced by equal-weight averages of batch
statistics over ``--batches`` batches of the augmented training stream (Wu & Johnson,
"Rethinking 'Batch' in BatchNorm", 2021), instead of the exponential average with momentum 0.9
(about the last ten batches) that training leaves. It tells whether noise in the moving
statistics costs test accuracy, without training again.

Usage::

    cd results/fashion_mnist_resnet20
    python precise_bn.py /work/seed-runs/seed1/last.keras /work/seed-runs/seed2/last.keras

Example:
    >>> cumulative_momentum(0), cumulative_momentum(3)
    (0.0, 0.75)
"""

from __future__ import annotations

import argparse
import os
import sys


def cumulative_momentum(batch_index: int) -> float:
    """The momentum that makes a moving average the plain mean of the batches so far."""
    return batch_index / (batch_index + 1)


def test_accuracy(model, test) -> float:
    """Top-1 accuracy over the whole test split, inference mode."""
    import numpy as np

    right = total = 0
    for images, labels in test:
        predicted = np.argmax(model(images, training=False), axis=-1)
        right += int(np.sum(predicted == labels.numpy()))
        total += len(labels)
    return right / total


def recompute_statistics(model, train, batches: int) -> None:
    """Set every BatchNormalization's moving statistics to the mean over ``batches`` batches."""
    import keras

    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for index, (images, _) in enumerate(train.take(batches)):
        for layer in layers:
            layer.momentum = cumulative_momentum(index)
        model(images, training=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help=".keras files trained on fashion_mnist")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0, help="of the training stream")
    args = parser.parse_args(argv)
    missing = [path for path in args.models if not os.path.isfile(path)]
    if missing:
        parser.error(f"no such model file: {', '.join(missing)}")
    if args.batches < 1:
        parser.error(f"--batches should be a positive integer. Received: {args.batches}")

    from keras_resnet import data
    from keras_resnet.recipes.evaluation import load_model

    test = data.load("fashion_mnist", "test", batch_size=500)
    print(f"| model | test accuracy | after precise BN ({args.batches} batches of 128) |")
    print("|---|---:|---:|")
    for path in args.models:
        model = load_model(path)
        before = test_accuracy(model, test)
        train = data.load("fashion_mnist", "train", batch_size=128, seed=args.seed, repeat=True)
        recompute_statistics(model, train, args.batches)
        after = test_accuracy(model, test)
        print(f"| {path} | {100 * before:.2f}% | {100 * after:.2f}% |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

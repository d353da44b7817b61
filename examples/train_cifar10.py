"""Reproduce section 4.2: a CIFAR-10 ResNet with the paper's recipe.

Batch 128, SGD momentum 0.9, weight decay 1e-4, LR 0.1 divided by 10 at 32k and 48k
iterations, 64k iterations; ResNet-110/1202 warm up at 0.01 until training error < 80%.
Needs CIFAR-10: TFDS downloads it, or put cifar-10-binary.tar.gz in
$KERAS_RESNET_CIFAR10_DIR. Kill it and run the same command again to resume.

    python examples/train_cifar10.py --depth 110 --output runs/cifar10_resnet110
    python examples/train_cifar10.py --depth 56 --plain      # Fig. 6 (left)
"""

from __future__ import annotations

import argparse
import sys

from keras_resnet import recipes
from keras_resnet.cli.checks import positive_int
from keras_resnet.errors import run_script


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=20, choices=[20, 32, 44, 56, 110, 1202])
    parser.add_argument("--plain", action="store_true", help="the plain net (no shortcuts)")
    parser.add_argument("--output", help="output directory (default: runs/RECIPE)")
    parser.add_argument("--steps", type=positive_int, help="stop early (default: the paper's 64k)")
    parser.add_argument("--data-dir", help="tensorflow-datasets data directory")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    name = f"cifar10_{'plain' if args.plain else 'resnet'}{args.depth}"
    result = recipes.train(
        name,
        output_dir=args.output or f"runs/{name}",
        steps=args.steps,
        data_dir=args.data_dir,
        seed=args.seed,
    )
    print(f"{name}: test error {100 * result.metrics['test_error']:.2f}% "
          "(paper, Table 6: ResNet-20 8.75, 56 6.97, 110 6.43)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(run_script(main))

"""Train an ImageNet ResNet as in section 3.4, on every local GPU, in mixed precision.

Needs ImageNet in TFDS's manual directory (ILSVRC2012_img_train.tar and
ILSVRC2012_img_val.tar in <data_dir>/downloads/manual/). Uses MirroredStrategy over the
local GPUs (MultiWorkerMirroredStrategy with --strategy multiworker and TF_CONFIG), the
paper's batch 256 and LR 0.1 with weight decay 1e-4; `--fixed` divides the LR by 10 at
epochs 30 and 60 (90 epochs) instead of on a plateau.

    python examples/train_imagenet.py --arch resnet50 --data-dir /data/tfds
"""

from __future__ import annotations

import argparse
import sys

from keras_resnet import recipes
from keras_resnet.cli.checks import positive_int
from keras_resnet.errors import run_script


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="resnet50",
                        choices=["resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
                                 "plain18", "plain34"])  # fmt: skip
    parser.add_argument("--fixed", action="store_true", help="LR / 10 at epochs 30 and 60")
    parser.add_argument("--strategy", default="mirrored", choices=["mirrored", "multiworker"])
    parser.add_argument("--mixed-precision", default="mixed_float16",
                        choices=["float32", "mixed_float16", "mixed_bfloat16"])  # fmt: skip
    parser.add_argument("--output", help="output directory (default: runs/RECIPE)")
    parser.add_argument("--data-dir", help="tensorflow-datasets data directory")
    parser.add_argument("--steps", type=positive_int, help="stop early")
    args = parser.parse_args(argv)

    name = f"imagenet_{args.arch}{'_fixed' if args.fixed else ''}"
    result = recipes.train(
        name,
        output_dir=args.output or f"runs/{name}",
        steps=args.steps,
        strategy=args.strategy,
        mixed_precision=args.mixed_precision,
        data_dir=args.data_dir,
    )
    print(f"{name}: top-1 error {100 * result.metrics['test_error']:.2f}% (single centre crop)")


if __name__ == "__main__":
    sys.exit(run_script(main))

"""``keras-resnet finetune IMAGES``: ``recipes.fine_tune`` from the command line.

Example:
    $ keras-resnet finetune photos/ --arch resnet50 --epochs 10 --output runs/photos
"""

from __future__ import annotations

import argparse
import os
import sys

from keras_resnet.cli.checks import positive_float, positive_int
from keras_resnet.cli.output import printable
from keras_resnet.vocabulary import DTYPE_POLICIES

#: What a fine-tuning run writes, as the command lists it.
OUTPUTS = ("best.keras", "last.keras", "history.csv", "metrics.json", "error.png",
           "confusion.png", "split.json")  # fmt: skip


def add_parser(commands) -> None:
    """Add ``finetune`` to ``commands``.

    Example:
        >>> parser = argparse.ArgumentParser(prog="keras-resnet")
        >>> add_parser(parser.add_subparsers(dest="command"))
        >>> parser.parse_args(["finetune", "photos", "--epochs", "4"]).epochs
        4
    """
    text = "fine-tune a pretrained ResNet on a folder with one sub-folder of images per class"
    parser = commands.add_parser("finetune", help=text, description=text)
    parser.add_argument("images", metavar="IMAGES", help="a folder of class sub-folders")
    parser.add_argument("--arch", default="resnet50", help="model name (default: resnet50)")
    parser.add_argument(
        "--weights",
        help="imagenet, a zoo tag or name, hf://owner/repo, none, or a .keras/.weights.h5 file "
        "of the same model with any head (default: the constructor's: imagenet for "
        "ResNet-18...152, none for CIFAR nets)",
    )  # fmt: skip
    parser.add_argument("--image-size", type=positive_int, default=224, help="(default: 224)")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="(default: 32)")
    parser.add_argument("--epochs", type=positive_int, default=10, help="(default: 10)")
    parser.add_argument(
        "--head-epochs", type=int, help="epochs of the head alone first (default: half)"
    )
    parser.add_argument(
        "--validation-split", type=float, default=0.2,
        help="share of each class held out (default: 0.2)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="(default: 0)")
    parser.add_argument("--output", help="the run folder (default: runs/fine_tune_FOLDER)")
    parser.add_argument(
        "--learning-rate", type=positive_float, default=1e-5,
        help="Adam's rate for the whole network (default: 1e-5)",
    )  # fmt: skip
    parser.add_argument(
        "--head-learning-rate", type=positive_float, default=1e-3,
        help="Adam's rate for the head (default: 1e-3)",
    )  # fmt: skip
    parser.add_argument("--mixed-precision", choices=DTYPE_POLICIES[1:])
    parser.add_argument("--class-weight", choices=["balanced"], help="weight rare classes up")
    parser.add_argument("--workers", type=positive_int, default=1, help="decoding threads (1)")
    parser.add_argument("--overwrite", action="store_true", help="start a finished run again")


def output_dir(args: argparse.Namespace) -> str:
    """The run folder the command writes (``--output`` or its default)."""
    from keras_resnet.recipes.fine_tuning import default_output_dir

    return args.output or default_output_dir(args.images)


def run(args: argparse.Namespace) -> int:
    """Fine-tune, then print the held-out accuracy and the files written."""
    from keras_resnet import recipes

    output = output_dir(args)
    options = {"weights": args.weights} if args.weights is not None else {}
    result = recipes.fine_tune(
        args.images, arch=args.arch, output_dir=output, image_size=args.image_size,
        batch_size=args.batch_size, epochs=args.epochs, head_epochs=args.head_epochs,
        validation_split=args.validation_split, seed=args.seed,
        learning_rate=args.learning_rate, head_learning_rate=args.head_learning_rate,
        mixed_precision=args.mixed_precision, class_weight=args.class_weight,
        workers=args.workers, overwrite=args.overwrite, **options,
        verbose=1 if sys.stdout.isatty() else 2,
    )  # fmt: skip
    m = result.metrics
    if result.history is None:
        print(f"{printable(output)} holds a finished run of these settings: nothing was "
              "trained or written (--overwrite starts it again).")  # fmt: skip
    held = (
        f"held-out accuracy {100 * m['validation_accuracy']:.2f}% on "
        f"{m['validation_images']:,} images"
        if "validation_accuracy" in m
        else "no images held out"
    )
    print(f"fine-tuned {m['arch']} on {len(m['class_names'])} classes: {held}, "
          f"{m['iterations']} iterations, {m['images_per_second']:.0f} images/s")  # fmt: skip
    for name in OUTPUTS:
        if os.path.isfile(os.path.join(output, name)):
            print(f"  {printable(os.path.join(output, name))}")
    return 0

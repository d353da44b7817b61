"""The ``keras-resnet`` console script.

Example:
    $ keras-resnet --version
    $ keras-resnet models --count
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from keras_resnet.version import __version__


def _format_count(value: float | None, unit: float, suffix: str) -> str:
    return "-" if value is None else f"{value / unit:.3f}{suffix}"


def models_table(*, count: bool, names: Sequence[str] | None = None, out=None) -> list[dict]:
    """Print (and return) one row per model: family, block, blocks per stage, paper FLOPs.

    With ``count=True`` each model is built (random weights) to add its trainable
    parameters and multiply-adds at its default input size (224x224 ImageNet, 32x32 CIFAR).

    Example:
        >>> import io
        >>> rows = models_table(count=False, names=["resnet20"], out=io.StringIO())
        >>> rows[0]["blocks"]
        (3, 3, 3)
    """
    import numpy as np

    from keras_resnet import models

    out = out or sys.stdout
    specs = [models.get_spec(name) for name in (names or models.list_models())]
    header = f"{'model':<11} {'family':<9} {'block':<11} {'blocks':<16} {'paper FLOPs':>11}"
    if count:
        header += f" {'params':>13} {'mult-adds':>10} {'build s':>8}"
    print(header, file=out, flush=True)
    rows = []
    for spec in specs:
        row = {
            "model": spec.name,
            "family": spec.family,
            "block": spec.block,
            "blocks": spec.blocks_per_stage,
            "paper_flops": spec.paper_flops,
        }
        line = (
            f"{spec.name:<11} {spec.family:<9} {spec.block:<11} "
            f"{spec.blocks_per_stage!s:<16} {_format_count(spec.paper_flops, 1e9, 'G'):>11}"
        )
        if count:
            start = time.perf_counter()
            with models.recursion_limit(50_000):
                model = models.get_model(spec.name, weights=None)
            row["params"] = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
            row["flops"] = models.count_flops(model)
            row["build_seconds"] = time.perf_counter() - start
            unit, suffix = (1e9, "G") if spec.family == "imagenet" else (1e6, "M")
            line += (
                f" {row['params']:>13,} {_format_count(row['flops'], unit, suffix):>10}"
                f" {row['build_seconds']:>8.1f}"
            )
        print(line, file=out, flush=True)
        rows.append(row)
    return rows


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``keras-resnet`` (subcommands: models).

    Example:
        >>> build_parser().parse_args(["models", "--count"]).count
        True
    """
    parser = argparse.ArgumentParser(
        prog="keras-resnet",
        description="The paper's ResNets in Keras 3: models, weights, training recipes.",
    )
    parser.add_argument("--version", action="version", version=f"keras-resnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    models_parser = commands.add_parser(
        "models",
        help="list every model with the paper's numbers",
        description="List every model of the paper (ImageNet Table 1-2, CIFAR section 4.2).",
    )
    models_parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="models to list (default: all, see the first column)",
    )
    models_parser.add_argument(
        "--count",
        action="store_true",
        help="build each model to count trainable parameters and multiply-adds "
        "(default: off; ResNet-1202 alone takes about 30 s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; returns the exit code.

    Example:
        >>> main(["models", "resnet18"])
        model       family    block       blocks           paper FLOPs
        resnet18    imagenet  basic       (2, 2, 2, 2)          1.800G
        0
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "models":
        try:
            models_table(count=args.count, names=args.names)
        except ValueError as error:
            parser.exit(2, f"keras-resnet models: error: {error}\n")
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Variants of the ``fashion_mnist_resnet20`` recipe against the recipe as shipped, at an
equal, short budget: the recipe's schedule compressed to ``--epochs`` epochs, several seeds.
They test differences between the recipe (93.70% after 30 epochs) and the bare Keras loop of
issue 10 (94.12%):

- ``fan_out``: the recipe as shipped (He initialisation in torchvision's fan-out form, weight
  decay 1e-4 with PyTorch's gradient ``1e-4 * w`` on conv and dense kernels).
- ``fan_in``: He initialisation in fan-in form (Keras' ``he_normal``, untruncated here).
- ``keras_l2``: the kernel penalty a bare Keras loop writes, ``l2(1e-4)``, whose gradient is
  ``2e-4 * w``: the recipe with ``weight_decay=2e-4``.

Each (variant, seed) trains with ``recipes.train`` in ``<output>/<variant>_seed<seed>/``; a run
whose metrics.json exists is read back, an unfinished one resumes, so the same command continues
after a stop. The Markdown table goes to stdout, training logs to stderr.

Usage::

    cd results/fashion_mnist_resnet20
    python compare.py --variants fan_out fan_in --output /work/init-runs > compare_init.md

Example:
    >>> initializer("fan_in").mode
    'fan_in'
    >>> variant_recipe("keras_l2").weight_decay
    0.0002
    >>> markdown([{"variant": "fan_in", "seed": 0, "final": 0.9, "best": 0.91, "minutes": 1.0}])[-1]
    '| fan_in | mean of 1 | 90.00 | 91.00 | |'
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
from unittest import mock

VARIANTS = ("fan_out", "fan_in", "keras_l2")


def initializer(mode: str):
    """He initialisation (scale 2, untruncated normal) with the given fan ``mode``."""
    import keras

    return keras.initializers.VarianceScaling(
        scale=2.0, mode=mode, distribution="untruncated_normal"
    )


def variant_recipe(variant: str):
    """The recipe a variant trains: the shipped one, with twice the weight decay for keras_l2."""
    from keras_resnet.recipes import registry

    recipe = registry.get("fashion_mnist_resnet20")
    if variant == "keras_l2":
        return dataclasses.replace(recipe, weight_decay=2 * recipe.weight_decay)
    return recipe


def run(variant: str, seed: int, output: str, epochs: int, **quick) -> dict:
    """Train (or read back) one (variant, seed) run; its final and best test accuracy."""
    import keras

    from keras_resnet.models import blocks
    from keras_resnet.recipes import train
    from keras_resnet.recipes.callbacks import history_columns

    folder = os.path.join(output, f"{variant}_seed{seed}")
    # conv_bn looks conv_initializer up in its module each time it builds a convolution;
    # every other variant keeps the package's own (fan-out).
    fan_in = mock.patch.object(blocks, "conv_initializer", lambda: initializer("fan_in"))
    with fan_in if variant == "fan_in" else contextlib.nullcontext():
        result = train(
            variant_recipe(variant), output_dir=folder, epochs=epochs, compress_schedule=True,
            seed=seed, verbose=2, **quick,
        )  # fmt: skip
    metrics = result.metrics
    best = max(history_columns(os.path.join(folder, "history.csv"))["val_accuracy"])
    minutes = (metrics.get("training_seconds") or metrics["wall_seconds"]) / 60
    del result
    keras.utils.clear_session()
    return {"variant": variant, "seed": seed, "final": metrics["test_accuracy"], "best": best,
            "minutes": minutes}  # fmt: skip


def markdown(rows: list[dict]) -> list[str]:
    """The table's lines: one row per run, then each variant's mean."""
    lines = ["| variant | seed | final test accuracy (%) | best (%) | minutes |",
             "|---|---|---:|---:|---:|"]  # fmt: skip
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['seed']} | {100 * r['final']:.2f} | {100 * r['best']:.2f} | "
            f"{r['minutes']:.0f} |"
        )
    for variant in dict.fromkeys(r["variant"] for r in rows):
        mine = [r for r in rows if r["variant"] == variant]
        final, best = (100 * sum(r[k] for r in mine) / len(mine) for k in ("final", "best"))
        lines.append(f"| {variant} | mean of {len(mine)} | {final:.2f} | {best:.2f} | |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", required=True, help="folder for the runs")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--steps-per-epoch", type=int, help="quick checks only")
    parser.add_argument("--validation-steps", type=int, help="quick checks only")
    args = parser.parse_args(argv)
    quick = {"steps_per_epoch": args.steps_per_epoch, "validation_steps": args.validation_steps}
    rows = []
    with contextlib.redirect_stdout(sys.stderr):  # Keras' logs; the table alone on stdout
        for seed in args.seeds:
            for variant in args.variants:
                rows.append(run(variant, seed, args.output, args.epochs, **quick))
    print(f"{args.epochs} compressed epochs of fashion_mnist_resnet20 per run, float32.\n")
    print("\n".join(markdown(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

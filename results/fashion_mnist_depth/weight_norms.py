"""Where each net's weight-decay term comes from: squared kernel weights per stage.

Plain-56's loss in ``history.csv`` is about 39 where the 20-layer nets' is 0.3: nearly all of
it is the L2 term of its first stages' kernels, which grew in the first epoch (whose mean loss
was 58) and shrink only slowly under weight decay since. Those convolutions are followed by
BatchNormalization, so the network's function ignores their scale, but SGD's relative step on
them shrinks as 1/||w||^2: the bottom of the net all but stops learning.

Usage (the study folder keeps each net's ``last.keras``)::

    cd results/fashion_mnist_depth
    python weight_norms.py /work/depth-runs/fashion_mnist_depth > weight_norms.md

Example:
    >>> stage_of("conv3_block2_1_conv/kernel"), stage_of("predictions/kernel")
    ('conv3_x', 'fc')
"""

from __future__ import annotations

import csv
import os
import sys

import numpy as np

STAGES = ("conv1", "conv2_x", "conv3_x", "conv4_x", "fc")


def stage_of(path: str) -> str:
    """The stage of Table 1 / section 4.2 a kernel belongs to (its layer name's prefix)."""
    layer = path.split("/")[0]
    if layer == "predictions":
        return "fc"
    prefix = layer.split("_")[0]  # conv1 ... conv4
    return prefix if prefix == "conv1" else f"{prefix}_x"


def squared_norms(model) -> dict[str, float]:
    """Sum of squared kernel weights per stage."""
    sums = dict.fromkeys(STAGES, 0.0)
    for weight in model.weights:
        if weight.path.endswith("kernel"):
            sums[stage_of(weight.path)] += float(np.sum(np.square(weight.numpy())))
    return sums


def main(study_dir: str) -> None:
    import keras

    from keras_resnet.recipes import get

    print("| net | epochs | L2 term in the loss | training loss |", end="")
    print("".join(f" sum w² {s} |" for s in STAGES))
    print("|---|---:|---:|---:|" + "---:|" * len(STAGES))
    for net in sorted(os.listdir(study_dir)):
        path = os.path.join(study_dir, net, "last.keras")
        if not os.path.isfile(path):
            continue
        sums = squared_norms(keras.saving.load_model(path))
        decay = get(f"fashion_mnist_{net}").weight_decay
        with open(os.path.join(study_dir, net, "history.csv")) as f:
            rows = list(csv.DictReader(f))
        cells = "".join(f" {sums[s]:,.0f} |" for s in STAGES)
        l2 = decay / 2 * sum(sums.values())
        print(f"| {net} | {len(rows)} | {l2:.3f} | {float(rows[-1]['loss']):.3f} |{cells}")


if __name__ == "__main__":
    main(sys.argv[1])

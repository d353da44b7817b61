"""How large SGD's first step is at each stage of a freshly initialised net.

For each net: the study's recipe model (seed 0, the recipe's weight decay), one training batch
of Fashion-MNIST as the recipe's pipeline delivers it, and per stage the relative step of
the first SGD update at the recipe's learning rate, ``lr * ||grad|| / ||w||`` over that
stage's kernels. In a deep plain net the gradients grow towards the input (the mean-field
theory of BatchNorm predicts exponential growth in depth), so the first steps can multiply the
bottom kernels' norm; with shortcuts every stage's first step stays a fraction of its norm.

Usage::

    cd results/fashion_mnist_depth && python init_gradients.py > init_gradients.md

Example:
    >>> relative_step([np.ones(4)], [np.full(4, 0.5)], learning_rate=0.1)
    0.05
"""

from __future__ import annotations

import sys

import numpy as np
from weight_norms import STAGES, stage_of  # beside this script


def relative_step(weights, gradients, *, learning_rate: float) -> float:
    """``learning_rate * ||gradients|| / ||weights||`` over a list of arrays."""
    norm = lambda arrays: float(np.sqrt(sum(np.sum(np.square(a)) for a in arrays)))  # noqa: E731
    return learning_rate * norm(gradients) / norm(weights)


def first_steps(net: str, images, labels) -> dict[str, float]:
    """The relative first step per stage of the study's recipe model for ``net``."""
    import keras
    import tensorflow as tf

    from keras_resnet import data
    from keras_resnet.recipes import get
    from keras_resnet.recipes.training import _build_model  # the model exactly as train builds it

    recipe = get(f"fashion_mnist_{net}")
    keras.utils.set_random_seed(0)
    model = _build_model(recipe, data.info(recipe.dataset), weights=None)
    with tf.GradientTape() as tape:
        probabilities = model(images, training=True)
        loss = keras.losses.sparse_categorical_crossentropy(labels, probabilities)
        loss = tf.reduce_mean(loss) + tf.add_n(model.losses)
    kernels = [w for w in model.trainable_weights if w.path.endswith("kernel")]
    gradients = tape.gradient(loss, [w.value for w in kernels])
    steps = {}
    for stage in STAGES:
        pairs = [(w.numpy(), g.numpy()) for w, g in zip(kernels, gradients, strict=True)
                 if stage_of(w.path) == stage]  # fmt: skip
        steps[stage] = relative_step(*zip(*pairs, strict=True), learning_rate=recipe.lr_values[0])
    return steps


NETS = ("plain20", "resnet20", "plain56", "resnet56")


def main(nets=NETS) -> None:
    from keras_resnet import data

    batch = data.load("fashion_mnist", "train", batch_size=128, training=True, seed=0)
    images, labels = next(iter(batch))
    print("| net | " + " | ".join(f"first step {s}" for s in STAGES) + " |")
    print("|---|" + "---:|" * len(STAGES))
    for net in nets:
        steps = first_steps(net, images, labels)
        print(f"| {net} | " + " | ".join(f"{steps[s]:.3g}" for s in STAGES) + " |")


if __name__ == "__main__":
    main(sys.argv[1:] or NETS)

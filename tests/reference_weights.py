"""Random torchvision-layout ResNet weights and inputs, reproducible from a seed with numpy.

Shared by ``tests/scripts/make_reference_logits.py`` (which runs torchvision on them, in its
own environment) and ``tests/test_zoo_conversion.py`` (which runs keras_resnet on the same
arrays), so the fixture only has to hold the tensor names, shapes and torchvision's logits.
"""

from __future__ import annotations

import json
import os

import numpy as np

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "torchvision_logits.safetensors")
DEPTHS = (18, 34, 50, 101, 152)
IMAGE_SIZE = 112
BATCH = 2


def random_state(shapes: dict[str, list[int]], seed: int) -> dict[str, np.ndarray]:
    """Random weights and BN statistics for the named torchvision tensors (float32)."""
    rng = np.random.default_rng(seed)
    state = {}
    for key in sorted(shapes):
        shape = tuple(shapes[key])
        if key.endswith("num_batches_tracked"):
            continue
        if key.endswith("running_var"):
            value = rng.uniform(0.5, 1.5, shape)
        elif key.endswith("running_mean"):
            value = rng.normal(0.0, 0.1, shape)
        elif len(shape) == 4:  # conv: keep activations in a sane range through 50 blocks
            value = rng.normal(0.0, np.sqrt(1.0 / np.prod(shape[1:])), shape)
        elif key == "fc.weight":
            value = rng.normal(0.0, 0.05, shape)
        elif key.endswith("weight"):  # BN gamma
            value = rng.uniform(0.5, 1.0, shape)
        else:  # BN beta, fc bias
            value = rng.normal(0.0, 0.1, shape)
        state[key] = value.astype(np.float32)
    return state


def random_images(seed: int) -> np.ndarray:
    """``BATCH`` normalised NHWC images of ``IMAGE_SIZE`` pixels."""
    rng = np.random.default_rng(seed + 1000)
    return rng.normal(0.0, 1.0, (BATCH, IMAGE_SIZE, IMAGE_SIZE, 3)).astype(np.float32)


def reference(depth: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(random torchvision-layout weights, torchvision's logits on ``random_images``)."""
    from safetensors.numpy import safe_open

    with safe_open(FIXTURE, "np") as handle:
        shapes = json.loads(handle.metadata()[f"shapes_{depth}"])
        logits = handle.get_tensor(f"logits_{depth}")
    return random_state(shapes, seed=depth), logits

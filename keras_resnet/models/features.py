"""Expose a ResNet's stage outputs as a backbone for detection and segmentation."""

from __future__ import annotations

import re

import keras

_BLOCK_OUT = re.compile(r"^conv(\d+)_block(\d+)_out$")


def stage_output_layers(model: keras.Model) -> dict[str, str]:
    """Map each stage ("conv2", "conv3", ...) to the name of its last block's output layer.

    Example:
        >>> import keras_resnet
        >>> stage_output_layers(keras_resnet.ResNet20())["conv4"]
        'conv4_block3_out'
    """
    last: dict[int, int] = {}
    for layer in model.layers:
        match = _BLOCK_OUT.match(layer.name)
        if match:
            stage, block = map(int, match.groups())
            last[stage] = max(block, last.get(stage, 0))
    return {f"conv{s}": f"conv{s}_block{b}_out" for s, b in sorted(last.items())}


def feature_extractor(model: keras.Model) -> keras.Model:
    """A model with the same inputs whose output is a dict of stage outputs.

    ImageNet nets give ``{"conv2", "conv3", "conv4", "conv5"}`` at strides 4, 8, 16, 32;
    CIFAR nets give ``{"conv2", "conv3", "conv4"}``. Weights are shared with ``model``.

    Example:
        >>> import keras_resnet
        >>> backbone = feature_extractor(keras_resnet.ResNet50(weights=None, include_top=False))
        >>> sorted(backbone.output)
        ['conv2', 'conv3', 'conv4', 'conv5']
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"The `model` argument should be a keras.Model. Received: model={model!r}")
    layers = stage_output_layers(model)
    if not layers:
        raise ValueError(
            "feature_extractor needs a keras_resnet (or keras.applications ResNet) model with "
            f"layers named conv{{s}}_block{{b}}_out; model '{model.name}' has none."
        )
    outputs = {stage: model.get_layer(name).output for stage, name in layers.items()}
    return keras.Model(model.inputs, outputs, name=f"{model.name}_features")

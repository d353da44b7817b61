"""Inference-time rewrites of a trained network: ``fold_batchnorm``.

At inference a BatchNormalization after a convolution is an affine map per output channel,
``y = gamma * (x - mean) / sqrt(var + eps) + beta``, so it can be folded into the convolution:
the kernel is scaled by ``gamma / sqrt(var + eps)`` and a bias ``beta - mean * scale`` added.
The folded network computes the same function with one layer (and one pass over memory) less
per convolution. Every ResNet of the paper qualifies: each convolution feeds exactly one BN.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_resnet.models.model import ResNetModel


def _foldable(model: keras.Model) -> dict[str, keras.layers.Layer]:
    """BN layer name -> the Conv2D it follows, for each BN whose input is a Conv2D output
    that nothing else reads and whose axis is the channels axis."""
    readers: dict[int, int] = {}
    for layer in model.operations:
        for node in layer._inbound_nodes:
            for tensor in node.input_tensors:
                readers[id(tensor)] = readers.get(id(tensor), 0) + 1
    pairs = {}
    for layer in model.operations:
        if not isinstance(layer, keras.layers.BatchNormalization) or len(layer._inbound_nodes) != 1:
            continue
        [source] = layer._inbound_nodes[0].input_tensors
        producer = source._keras_history.operation
        if (
            isinstance(producer, keras.layers.Conv2D)
            and len(producer._inbound_nodes) == 1
            and readers.get(id(source)) == 1
            and layer.axis in (-1, len(source.shape) - 1)
        ):
            pairs[layer.name] = producer
    return pairs


def _folded_weights(conv: keras.layers.Conv2D, bn: keras.layers.BatchNormalization):
    """(kernel, bias) of ``conv`` followed by ``bn`` in inference mode, in float64 first."""
    kernel = np.asarray(conv.kernel, np.float64)
    bias = np.asarray(conv.bias, np.float64) if conv.use_bias else 0.0
    channels = kernel.shape[-1]
    gamma = np.asarray(bn.gamma, np.float64) if bn.scale else np.ones(channels)
    beta = np.asarray(bn.beta, np.float64) if bn.center else np.zeros(channels)
    mean = np.asarray(bn.moving_mean, np.float64)
    scale = gamma / np.sqrt(np.asarray(bn.moving_variance, np.float64) + bn.epsilon)
    return (kernel * scale).astype("float32"), ((bias - mean) * scale + beta).astype("float32")


def fold_batchnorm(model: keras.Model) -> keras.Model:
    """The same network with every BatchNormalization folded into the convolution before it.

    For inference (the BN layers' moving statistics are used, as in ``training=False``).
    A new model is returned (its own layers and weights; ``model`` is untouched), carrying
    ``model.checkpoint`` where it has one; convolutions keep their names and gain a bias.
    Works for v1 and v1.5, shortcut options A/B/C, plain nets, ``include_top=False`` with
    pooling, any number of input channels, and a classifier around a nested backbone (as
    ``examples/fine_tune.py`` builds it: the backbone is folded in turn); BN layers that do
    not follow a convolution stay as they are.

    Example:
        >>> model = keras_resnet.ResNet20()
        >>> folded = fold_batchnorm(model)
        >>> sum(isinstance(layer, keras.layers.BatchNormalization) for layer in folded.layers)
        0
        >>> x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
        >>> bool(np.allclose(folded.predict_on_batch(x), model.predict_on_batch(x), atol=1e-5))
        True
    """
    if not isinstance(model, keras.Model) or not hasattr(model, "operations"):
        raise ValueError(
            "The `model` argument should be a Functional keras.Model (a keras_resnet "
            f"constructor's or get_model's). Received: model={model!r}"
        )
    pairs = _foldable(model)
    folded_convs = {conv.name: bn_name for bn_name, conv in pairs.items()}
    by_name = {layer.name: layer for layer in model.operations}
    tensors: dict[int, object] = {}
    new_inputs = []
    for old in model.inputs:
        new = keras.Input(batch_shape=old.shape, dtype=old.dtype, name=old.name)
        tensors[id(old)] = new
        new_inputs.append(new)
    for layer in model.operations:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        node = layer._inbound_nodes[0] if len(layer._inbound_nodes) == 1 else None
        if node is None:
            raise ValueError(
                f"fold_batchnorm: layer {layer.name!r} is called more than once in the model; "
                "only networks whose layers are each used once can be rebuilt."
            )
        [output] = node.output_tensors
        if layer.name in pairs:  # the BN: its output is the folded convolution's
            tensors[id(output)] = tensors[id(node.input_tensors[0])]
            continue
        args, kwargs = node.arguments.fill_in(tensors)
        if isinstance(layer, keras.Model) and hasattr(layer, "operations"):
            # A nested Functional network (a fine-tuned model's backbone): folded in turn.
            tensors[id(output)] = fold_batchnorm(layer)(*args, **kwargs)
            continue
        config = layer.get_config()
        if layer.name in folded_convs:
            config["use_bias"] = True
        clone = layer.__class__.from_config(config)
        tensors[id(output)] = clone(*args, **kwargs)
        if layer.name in folded_convs:
            clone.set_weights(_folded_weights(layer, by_name[folded_convs[layer.name]]))
        elif layer.weights:
            clone.set_weights(layer.get_weights())
    outputs = [tensors[id(out)] for out in model.outputs]
    return ResNetModel(
        new_inputs if len(new_inputs) > 1 else new_inputs[0],
        outputs if len(outputs) > 1 else outputs[0],
        name=model.name,
        checkpoint=getattr(model, "checkpoint", None),
    )

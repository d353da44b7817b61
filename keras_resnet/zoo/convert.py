"""Checkpoints in other layouts -> the zoo's Keras layout, and that layout -> a built model.

The Keras layout is a flat ``{"<layer name>/<variable name>": array}`` dict (HWIO conv
kernels, BN ``gamma``/``beta``/``moving_mean``/``moving_variance``), keyed by
keras.applications layer names so it outlives refactors (a ``.weights.h5`` file is keyed by
creation order instead). Only numpy, safetensors and h5py are used: no torch, no pickles.

Example:
    >>> state = {"conv1.weight": np.ones((64, 3, 7, 7), "float32")}
    >>> from_torchvision(state)["conv1_conv/kernel"].shape
    (7, 7, 3, 64)
"""

from __future__ import annotations

import os
import re

import numpy as np

from keras_resnet.errors import reading
from keras_resnet.vocabulary import BN_EPSILON
from keras_resnet.weight_files import check_weight_file, is_legacy_h5

#: Bump when a conversion changes: cached conversions are keyed by it.
CONVERTER_VERSION = 1

#: keras.applications' BatchNormalization epsilon; ours (and torch's) is 1e-5.
KERAS_APPLICATIONS_BN_EPSILON = 1.001e-5

_BN = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean"}
_BN["running_var"] = "moving_variance"
_TORCH_BLOCK = re.compile(r"layer(\d)\.(\d+)\.(conv|bn)(\d)\.(\w+)")
_TORCH_PROJECTION = re.compile(r"layer(\d)\.(\d+)\.downsample\.([01])\.(\w+)")
_KERAS_BLOCK = re.compile(r"conv(\d)_block(\d+)_(\d)_(conv|bn)/")


def _torch_name(key: str) -> tuple[str, str] | None:
    """(Keras layer, variable) for a torchvision ResNet tensor name; None to skip it."""
    if key.endswith("num_batches_tracked"):
        return None
    head, _, tail = key.rpartition(".")
    if head == "conv1" and tail == "weight":
        return "conv1_conv", "kernel"
    if head == "bn1" and tail in _BN:
        return "conv1_bn", _BN[tail]
    if head == "fc":
        return "predictions", {"weight": "kernel", "bias": "bias"}[tail]
    match = _TORCH_BLOCK.fullmatch(key)
    if match:
        stage, block, kind, index, variable = match.groups()
        prefix = f"conv{int(stage) + 1}_block{int(block) + 1}_{index}"
        if kind == "conv" and variable == "weight":
            return f"{prefix}_conv", "kernel"
        if kind == "bn" and variable in _BN:
            return f"{prefix}_bn", _BN[variable]
    match = _TORCH_PROJECTION.fullmatch(key)
    if match:
        stage, block, index, variable = match.groups()
        prefix = f"conv{int(stage) + 1}_block{int(block) + 1}_0"
        if index == "0" and variable == "weight":
            return f"{prefix}_conv", "kernel"
        if index == "1" and variable in _BN:
            return f"{prefix}_bn", _BN[variable]
    raise ValueError(
        f"The checkpoint holds a tensor {key!r} that is not part of a torchvision/timm ResNet "
        "(expected conv1, bn1, layer1-4 and fc tensors)."
    )


def from_torchvision(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A torchvision/timm ResNet state dict (numpy arrays) in the zoo's Keras layout.

    Conv kernels go OIHW -> HWIO, the fc matrix is transposed, ``num_batches_tracked`` is
    dropped; everything is float32.

    Example:
        >>> keras_state = from_torchvision({"fc.weight": np.zeros((1000, 512), "float32")})
        >>> keras_state["predictions/kernel"].shape
        (512, 1000)
    """
    converted = {}
    for key, value in state.items():
        target = _torch_name(key)
        if target is None:
            continue
        layer, variable = target
        array = np.asarray(value, dtype=np.float32)
        if variable == "kernel":
            array = array.transpose(2, 3, 1, 0) if array.ndim == 4 else array.T
        converted[f"{layer}/{variable}"] = np.ascontiguousarray(array)
    return converted


def from_keras_applications_h5(path: str, *, argument: str = "weights") -> dict[str, np.ndarray]:
    """keras.applications' legacy ``.h5`` weights (v1 ResNet50/101/152) in the Keras layout.

    Those convolutions carry biases and their BN epsilon is 1.001e-5. A bias ``b`` before
    a BN folds exactly into its moving mean (``mean - b``), and the epsilon difference into
    its moving variance (``var + 1e-8``), so the result loads into the bias-free v1 nets.
    Errors name the caller's ``argument``.

    Example:
        >>> from_keras_applications_h5("missing.h5")
        Traceback (most recent call last):
        ...
        FileNotFoundError: The `weights` file does not exist. Received: weights='missing.h5'
    """
    import h5py

    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"The `{argument}` file does not exist. Received: {argument}={path!r}"
        )
    raw = {}
    with h5py.File(path, "r") as handle:
        group = handle.get("model_weights", handle)
        if "layer_names" not in group.attrs:
            raise ValueError(
                f"The `{argument}` .h5 file is not a legacy keras.applications weights file (no "
                f"`layer_names` attribute). Received: {argument}={path!r}"
            )
        for layer in group.attrs["layer_names"]:
            layer = layer.decode() if isinstance(layer, bytes) else layer
            for weight in group[layer].attrs["weight_names"]:
                weight = weight.decode() if isinstance(weight, bytes) else weight
                variable = weight.split("/")[-1].split(":")[0]
                raw[f"{layer}/{variable}"] = np.asarray(group[layer][weight], dtype=np.float32)
    converted = {}
    for key, value in raw.items():
        layer, variable = key.split("/")
        if layer.endswith("_conv") and variable == "bias":
            bn = layer[: -len("_conv")] + "_bn"
            if f"{bn}/moving_mean" not in raw:
                raise ValueError(f"The conv bias {key!r} has no BN {bn!r} to fold into.")
            continue
        if variable == "moving_mean":
            conv_bias = raw.get(f"{layer[: -len('_bn')]}_conv/bias")
            value = value - conv_bias if conv_bias is not None else value
        if variable == "moving_variance":
            value = value + (KERAS_APPLICATIONS_BN_EPSILON - BN_EPSILON)
        converted[key] = np.ascontiguousarray(value, dtype=np.float32)
    return converted


def detect_layout(keys) -> str:
    """``"torchvision"`` (timm too) or ``"keras_resnet"`` for a checkpoint's tensor names.

    Example:
        >>> detect_layout(["conv1.weight", "bn1.weight"]), detect_layout(["conv1_conv/kernel"])
        ('torchvision', 'keras_resnet')
    """
    keys = list(keys)
    if any("/" in key for key in keys):
        return "keras_resnet"
    if "conv1.weight" in keys:
        return "torchvision"
    raise ValueError(
        "The checkpoint is neither in torchvision/timm layout (`conv1.weight`, "
        "`layer1.0.conv1.weight`, ...) nor in keras_resnet layout (`conv1_conv/kernel`, ...). "
        f"First tensor names: {sorted(keys)[:5]}"
    )


def read_checkpoint(
    path: str, *, format: str | None = None, argument: str = "weights"
) -> dict[str, np.ndarray]:
    """Any checkpoint file the zoo understands, in the Keras layout.

    ``.safetensors`` in torchvision/timm or keras_resnet layout, or a legacy
    keras.applications ``.h5``. ``format`` (a ``Checkpoint.format``: "timm", "keras_resnet"
    or "keras_applications") says which the file must be; None detects it from the file.
    Errors name the caller's ``argument``.

    Example:
        >>> read_checkpoint("weights.bin")
        Traceback (most recent call last):
        ...
        ValueError: keras_resnet never unpickles weight files (they can run arbitrary code); \
safetensors is the way: use a `.safetensors`, `.weights.h5` or `.keras` file. \
Received: weights='weights.bin'
    """
    check_weight_file(path, argument, suffixes=(".safetensors", ".h5"))
    legacy_h5 = is_legacy_h5(path)
    if format == "keras_applications" or (format is None and legacy_h5):
        if not legacy_h5:
            raise ValueError(
                "A keras_applications checkpoint is a legacy keras.applications `.h5` file. "
                f"Received: {argument}={path!r}"
            )
        with reading(path, "a legacy keras.applications .h5 file"):
            return from_keras_applications_h5(path, argument=argument)
    if not path.lower().endswith(".safetensors"):
        raise ValueError(
            "The zoo reads `.safetensors` (torchvision/timm or keras_resnet layout) and legacy "
            f"keras.applications `.h5` checkpoints. Received: {argument}={path!r}"
        )
    from safetensors.numpy import load_file

    with reading(path, "a safetensors checkpoint"):
        state = load_file(path)
    layout = detect_layout(state)
    expected = {"timm": "torchvision", "keras_resnet": "keras_resnet"}.get(format, layout)
    if layout != expected:
        raise ValueError(
            f"The checkpoint {path!r} is said to be in the {format!r} format, but its tensor "
            f"names are in the {layout} layout."
        )
    if layout == "torchvision":
        return from_torchvision(state)
    return state


def describe(state: dict[str, np.ndarray]) -> dict:
    """The architecture a Keras-layout checkpoint fits: blocks per stage, block kind, head.

    Example:
        >>> describe({"conv1_conv/kernel": np.zeros((7, 7, 3, 64)),
        ...           "conv2_block1_1_conv/kernel": np.zeros((3, 3, 64, 64))})
        {'stem_kernel': 7, 'in_channels': 3, 'block': 'basic', 'blocks_per_stage': (1,), \
'num_classes': None}
    """
    blocks: dict[int, int] = {}
    bottleneck = False
    for key in state:
        match = _KERAS_BLOCK.match(key)
        if match:
            stage, block, index = (int(g) for g in match.groups()[:3])
            blocks[stage] = max(blocks.get(stage, 0), block)
            bottleneck = bottleneck or index == 3
    head = state.get("predictions/bias")
    stem = state["conv1_conv/kernel"]
    return {
        "stem_kernel": int(stem.shape[0]),
        "in_channels": int(stem.shape[2]),
        "block": "bottleneck" if bottleneck else "basic",
        "blocks_per_stage": tuple(blocks[s] for s in sorted(blocks)),
        "num_classes": None if head is None else int(head.shape[0]),
    }


def adapt_input_channels(kernel: np.ndarray, channels: int) -> np.ndarray:
    """A 3-channel first-conv kernel (HWIO) for ``channels`` input channels, as timm does.

    One channel: the sum over RGB (a grey image gives the same response as the same RGB
    image). Other counts: RGB repeated cyclically and scaled by ``3 / channels``.

    Example:
        >>> adapt_input_channels(np.ones((7, 7, 3, 64)), 1)[0, 0, :, 0]
        array([3.])
        >>> adapt_input_channels(np.ones((7, 7, 3, 64)), 4)[0, 0, :, 0]
        array([0.75, 0.75, 0.75, 0.75])
    """
    if kernel.shape[2] == channels:
        return kernel
    if kernel.shape[2] != 3:
        raise ValueError(
            f"Only a 3-channel first convolution can be adapted; this one has {kernel.shape[2]}."
        )
    if channels == 1:
        return kernel.sum(axis=2, keepdims=True)
    repeats = -(-channels // 3)
    return np.tile(kernel, (1, 1, repeats, 1))[:, :, :channels] * (3.0 / channels)


def model_variables(model) -> dict:
    """``{"<layer>/<variable>": variable}`` for every variable of ``model``.

    Example:
        >>> sorted(model_variables(keras_resnet.ResNet20(weights=None)))[:2]
        ['conv1_bn/beta', 'conv1_bn/gamma']
    """
    return {f"{layer.name}/{v.name}": v for layer in model.layers for v in layer.weights}


def assign(model, state: dict[str, np.ndarray], *, source: str = "the checkpoint") -> None:
    """Load a Keras-layout ``state`` into ``model`` by layer name, checking every shape.

    A model without the ``predictions`` layer (``include_top=False``) takes the backbone
    only; a first convolution with 1 or 4 input channels is adapted
    (``adapt_input_channels``). Everything is checked before anything is assigned.

    Example:
        >>> model = keras_resnet.ResNet20(weights=None)
        >>> state = {k: v.numpy() for k, v in model_variables(model).items()}
        >>> assign(keras_resnet.ResNet20(weights=None), state)
    """
    variables = model_variables(model)
    state = dict(state)
    if "predictions/kernel" not in variables:
        state = {k: v for k, v in state.items() if not k.startswith("predictions/")}
    stem = variables.get("conv1_conv/kernel")
    if stem is not None and "conv1_conv/kernel" in state:
        state["conv1_conv/kernel"] = adapt_input_channels(
            state["conv1_conv/kernel"], int(stem.shape[2])
        )
    missing = sorted(set(variables) - set(state))
    unexpected = sorted(set(state) - set(variables))
    if missing or unexpected:
        raise ValueError(
            f"{source} does not fit the model {model.name!r}: {len(missing)} model variables "
            f"missing from it (e.g. {missing[:4]}) and {len(unexpected)} of its tensors not in "
            f"the model (e.g. {unexpected[:4]}). Is it for another depth, shortcut option or "
            "variant?"
        )
    wrong = [
        f"{key}: model {tuple(variables[key].shape)}, checkpoint {tuple(state[key].shape)}"
        for key in variables
        if tuple(variables[key].shape) != tuple(state[key].shape)
    ]
    if wrong:
        raise ValueError(
            f"{source} does not fit the model {model.name!r}: {len(wrong)} shapes differ, "
            f"e.g. {wrong[:3]}. With a different `classes`, pass `include_top=False`."
        )
    for key, variable in variables.items():
        variable.assign(state[key].astype(variable.dtype, copy=False))

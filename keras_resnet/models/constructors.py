"""Make the public constructors (``ResNet50``, ``Plain20``, ...) from the specs.

Every constructor has keras.applications' signature ``(include_top, weights, input_tensor,
input_shape, pooling, classes, classifier_activation, name)`` plus keyword-only options; the
signature is a real ``inspect.Signature`` so ``help()``, IDEs and argument errors behave as
for a hand-written function.
"""

from __future__ import annotations

import inspect
import textwrap

import keras

from keras_resnet.models.builder import build_model
from keras_resnet.models.specs import NetSpec

_P = inspect.Parameter

_ARGS_DOC = """Args:
    include_top: Whether to include the global-average-pool + fully-connected head.
    weights: {weights_doc}
        or the path to a ``.weights.h5`` / ``.keras`` / ``.safetensors`` (torchvision, timm
        or keras_resnet layout) / legacy keras.applications ``.h5`` file.
    input_tensor: Optional Keras tensor (output of ``keras.Input()``) to use as input.
    input_shape: Optional ``(height, width, channels)``, channels last; default
        {default_shape}. Height and width at least 32
        (None allowed with ``include_top=False``).
    pooling: With ``include_top=False``: None (4D feature map), ``"avg"`` or ``"max"``.
    classes: Number of classes of the head.
    classifier_activation: Activation of the head; None returns logits.
    name: Model name; defaults to ``"{arch}"``.
"""

_OPTION_DOCS = {
    "variant": (
        '    variant: ``"v1.5"`` (stride 2 on the bottleneck\'s 3x3; torchvision, timm and\n'
        '        every ImageNet checkpoint on the Hugging Face Hub) or ``"v1"`` (stride on the\n'
        "        first 1x1; the paper's Caffe models, keras.applications, the paper's FLOPs).\n"
        "        Basic-block nets are the same in both.\n"
    ),
    "shortcut": (
        '    shortcut: ``"A"`` (parameter-free zero-padding identity), ``"B"`` (1x1\n'
        '        projection where dimensions grow) or ``"C"`` (projection on every block);\n'
        "        section 3.3.\n"
    ),
    "zero_init_residual": (
        "    zero_init_residual: Start each residual branch's last BN gamma at zero, so\n"
        "        every block begins as the identity.\n"
    ),
    "kernel_regularizer": (
        "    kernel_regularizer: Regularizer for every conv and dense kernel (weight decay).\n"
    ),
}


def _describe(spec: NetSpec) -> str:
    kind = "ResNet" if spec.residual else "plain net"
    if spec.family == "imagenet":
        where = "Table 1" if spec.residual else "Table 2"
        text = (
            f"ImageNet {kind} with {spec.depth} layers ({where}): {spec.block} blocks "
            f"{spec.blocks_per_stage} in stages conv2..conv5 of widths {spec.widths}; the paper "
            f"counts {spec.paper_flops:.1e} FLOPs (multiply-adds) at 224x224."
        )
    else:
        text = (
            f"CIFAR {kind} with {spec.depth} layers (section 4.2, depth 6n+2 with "
            f"n={spec.blocks_per_stage[0]}): a 3x3 conv, then three stages of {spec.widths} "
            "filters on 32/16/8 maps, global average pooling and a fully-connected layer."
        )
    if not spec.residual:
        text += " The same stack as the ResNet of that depth, without shortcut connections."
    return text


def make_constructor(
    spec: NetSpec, func_name: str, *, weights, input_shape, classes: int, options: dict
):
    """Return the public constructor for ``spec`` with the given defaults.

    ``options`` maps keyword-only option names (variant, shortcut, zero_init_residual,
    kernel_regularizer) to their defaults.

    Example:
        >>> from keras_resnet.models.specs import cifar_spec
        >>> f = make_constructor(cifar_spec(20), "ResNet20", weights=None,
        ...                      input_shape=(32, 32, 3), classes=10,
        ...                      options={"shortcut": "A"})
        >>> f().count_params()
        271098
    """
    positional = [
        ("include_top", True),
        ("weights", weights),
        ("input_tensor", None),
        ("input_shape", input_shape),
        ("pooling", None),
        ("classes", classes),
        ("classifier_activation", "softmax"),
        ("name", None),
    ]
    parameters = [_P(n, _P.POSITIONAL_OR_KEYWORD, default=d) for n, d in positional]
    parameters += [_P(n, _P.KEYWORD_ONLY, default=d) for n, d in options.items()]
    signature = inspect.Signature(parameters, return_annotation=keras.Model)

    def constructor(*args, **kwargs) -> keras.Model:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{func_name}(): {error}") from None
        bound.apply_defaults()
        return build_model(spec, **bound.arguments)

    weights_doc = "None (random initialization)"
    if weights == "imagenet":
        weights_doc += (
            ",\n        \"imagenet\" (the zoo's ``tv_in1k`` checkpoint: torchvision's original\n"
            '        training), a tag (``"a1_in1k"``) or name (``"resnet50.a1_in1k"``, see\n'
            '        ``keras_resnet.list_weights()``), ``"hf://owner/repo[@revision]"``,'
        )
    default_shape = f"``{input_shape}``" if input_shape else "``(224, 224, 3)``"
    if not input_shape:
        default_shape += ",\n        or ``(None, None, 3)`` with ``include_top=False``"
    example_shape = input_shape or (64, 64, 3)
    constructor.__name__ = constructor.__qualname__ = func_name
    constructor.__signature__ = signature
    constructor.__doc__ = (
        textwrap.fill(f"Instantiate {spec.name}: {_describe(spec)}", width=92) + "\n\n"
        'Reference: He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", '
        "CVPR 2016.\n\n"
        + _ARGS_DOC.format(weights_doc=weights_doc, default_shape=default_shape, arch=spec.name)
        + "".join(_OPTION_DOCS[o] for o in options)
        + "\nReturns:\n    A Functional ``keras.Model``.\n\n"
        "Example:\n"
        f"    >>> model = keras_resnet.{func_name}(weights=None, input_shape={example_shape},"
        " classes=10)\n"
        "    >>> model.output_shape\n    (None, 10)\n"
    )
    return constructor

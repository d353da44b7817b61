"""The docstring every public constructor (``ResNet50``, ``Plain20``, ...) shares.

The constructors are written out in ``imagenet.py`` and ``cifar.py`` with keras.applications'
signature ``(include_top, weights, input_tensor, input_shape, pooling, classes,
classifier_activation, name)`` plus keyword-only options; ``documented`` fills their shared
docstring from the paper's spec.
"""

from __future__ import annotations

import inspect
import textwrap

from keras_resnet.models.specs import NetSpec

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


def documented(spec: NetSpec):
    """Give a written-out constructor (``def ResNet50(...)``) its docstring for ``spec``.

    The docstring is shared by every constructor, as keras.applications shares one: it is
    filled from the spec and from the function's own signature (its ``weights`` and
    ``input_shape`` defaults and keyword-only options).

    Example:
        >>> from keras_resnet.models.specs import cifar_spec
        >>> @documented(cifar_spec(8))
        ... def Tiny(include_top=True, weights=None, input_tensor=None, input_shape=(32, 32, 3),
        ...          pooling=None, classes=10, classifier_activation="softmax", name=None, *,
        ...          shortcut="A"):
        ...     pass
        >>> Tiny.__doc__.startswith("Instantiate resnet8: CIFAR ResNet with 8 layers")
        True
    """

    def decorate(function):
        parameters = inspect.signature(function).parameters
        weights = parameters["weights"].default
        input_shape = parameters["input_shape"].default
        options = [n for n, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
        weights_doc = "None (random initialization)"
        if weights == "imagenet":
            weights_doc += (
                ",\n        \"imagenet\" (the zoo's ``tv_in1k`` checkpoint: torchvision's "
                'original\n        training), a tag (``"a1_in1k"``) or name '
                '(``"resnet50.a1_in1k"``, see\n        ``keras_resnet.list_weights()``), '
                '``"hf://owner/repo[@revision]"``,'
            )
        default_shape = f"``{input_shape}``" if input_shape else "``(224, 224, 3)``"
        if not input_shape:
            default_shape += ",\n        or ``(None, None, 3)`` with ``include_top=False``"
        example_shape = input_shape or (64, 64, 3)
        # ResNet-1202 takes about 30 s to build: its example is not run by the test suite.
        skip = "  # doctest: +SKIP" if spec.depth > 200 else ""
        name = function.__name__
        function.__doc__ = (
            textwrap.fill(f"Instantiate {spec.name}: {_describe(spec)}", width=92) + "\n\n"
            'Reference: He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", '
            "CVPR 2016.\n\n"
            + _ARGS_DOC.format(weights_doc=weights_doc, default_shape=default_shape, arch=spec.name)
            + "".join(_OPTION_DOCS[o] for o in options)
            + "\nReturns:\n    A Functional ``keras_resnet.ResNetModel`` (its ``checkpoint`` says "
            "where its weights came from).\n\n"
            "Example:\n"
            f"    >>> model = keras_resnet.{name}(weights=None, input_shape={example_shape},"
            f" classes=10){skip}\n"
            f"    >>> model.output_shape{skip}\n    (None, 10)\n"
        )
        return function

    return decorate

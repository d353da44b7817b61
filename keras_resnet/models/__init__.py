"""Model constructors, the model registry, FLOP counting and feature extraction."""

from __future__ import annotations

import re

import keras

from keras_resnet.errors import unknown_name
from keras_resnet.models import cifar, imagenet
from keras_resnet.models.builder import recursion_limit
from keras_resnet.models.cifar import (
    Plain20,
    Plain32,
    Plain44,
    Plain56,
    Plain110,
    ResNet20,
    ResNet32,
    ResNet44,
    ResNet56,
    ResNet110,
    ResNet1202,
)
from keras_resnet.models.features import feature_extractor
from keras_resnet.models.flops import count_flops
from keras_resnet.models.imagenet import (
    Plain18,
    Plain34,
    ResNet18,
    ResNet34,
    ResNet50,
    ResNet101,
    ResNet152,
)
from keras_resnet.models.layers import ZeroPadShortcut
from keras_resnet.models.model import ResNetModel
from keras_resnet.models.specs import NetSpec, all_specs, cifar_spec


def list_models() -> list[str]:
    """Names accepted by ``get_model``: ImageNet nets first, then CIFAR nets, by depth.

    Example:
        >>> list_models()[:3]
        ['resnet18', 'resnet34', 'resnet50']
    """
    return list(all_specs())


# Any CIFAR depth 6n+2 ("resnet8", "plain26"): section 4.2 defines the family for every n.
_CIFAR_NAME = re.compile(r"(resnet|plain)(\d+)")


def get_spec(name: str) -> NetSpec:
    """The paper's description of the model called ``name``.

    ``name`` is one of ``list_models()`` or any CIFAR depth 6n+2 of section 4.2
    (``"resnet8"``, ``"plain26"``).

    Example:
        >>> get_spec("resnet110").blocks_per_stage
        (18, 18, 18)
        >>> get_spec("plain26").blocks_per_stage
        (4, 4, 4)
    """
    key = name.lower() if isinstance(name, str) else name
    specs = all_specs()
    if key in specs:
        return specs[key]
    match = _CIFAR_NAME.fullmatch(key) if isinstance(key, str) else None
    if match and int(match[2]) >= 8 and (int(match[2]) - 2) % 6 == 0:
        return cifar_spec(int(match[2]), residual=match[1] == "resnet")
    raise unknown_name(
        "model name",
        "name",
        name,
        list(specs),
        extra=" or a CIFAR depth 6n+2 such as 'resnet8' or 'plain26'",
    )


def get_model(name: str, **kwargs) -> keras.Model:
    """Build a model by name (``list_models()`` or any CIFAR ``"resnet<6n+2>"`` /
    ``"plain<6n+2>"``), passing ``kwargs`` to its constructor.

    Example:
        >>> model = get_model("resnet20", classes=100)
        >>> model.output_shape
        (None, 100)
        >>> get_model("plain8").count_params() < get_model("plain20").count_params()
        True
    """
    spec = get_spec(name)
    if spec.family == "imagenet":
        return imagenet.CONSTRUCTORS[spec.name](**kwargs)
    return cifar.constructor(spec.depth, spec.residual)(**kwargs)


def default_weights(name: str) -> str | None:
    """What ``weights`` the constructor of ``name`` uses when none is given: "imagenet" for
    the ImageNet ResNets (the zoo has their checkpoints), None for plain and CIFAR nets.

    Example:
        >>> default_weights("resnet50"), default_weights("resnet20"), default_weights("plain34")
        ('imagenet', None, None)
    """
    spec = get_spec(name)
    return "imagenet" if spec.family == "imagenet" and spec.residual else None


__all__ = [
    "NetSpec",
    "Plain18",
    "Plain20",
    "Plain32",
    "Plain34",
    "Plain44",
    "Plain56",
    "Plain110",
    "ResNet18",
    "ResNet20",
    "ResNet32",
    "ResNet34",
    "ResNet44",
    "ResNet50",
    "ResNet56",
    "ResNet101",
    "ResNet110",
    "ResNet152",
    "ResNet1202",
    "ResNetModel",
    "ZeroPadShortcut",
    "count_flops",
    "default_weights",
    "feature_extractor",
    "get_model",
    "get_spec",
    "list_models",
    "recursion_limit",
]

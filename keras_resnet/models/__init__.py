"""Model constructors, the model registry, FLOP counting and feature extraction."""

from __future__ import annotations

import inspect

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
from keras_resnet.models.specs import NetSpec, all_specs

_CONSTRUCTORS = {**imagenet.CONSTRUCTORS, **cifar.CONSTRUCTORS}


def list_models() -> list[str]:
    """Names accepted by ``get_model``: ImageNet nets first, then CIFAR nets, by depth.

    Example:
        >>> list_models()[:3]
        ['resnet18', 'resnet34', 'resnet50']
    """
    return list(all_specs())


def get_spec(name: str) -> NetSpec:
    """The paper's description of the model called ``name`` (see ``list_models()``).

    Example:
        >>> get_spec("resnet110").blocks_per_stage
        (18, 18, 18)
    """
    key = name.lower() if isinstance(name, str) else name
    specs = all_specs()
    if key not in specs:
        raise unknown_name("model name", "name", name, list(specs))
    return specs[key]


def get_model(name: str, **kwargs) -> keras.Model:
    """Build a model by name, passing ``kwargs`` to its constructor.

    Example:
        >>> model = get_model("resnet20", classes=100)
        >>> model.output_shape
        (None, 100)
    """
    return _CONSTRUCTORS[get_spec(name).name](**kwargs)


def default_weights(name: str) -> str | None:
    """What ``weights`` the constructor of ``name`` uses when none is given.

    Example:
        >>> default_weights("resnet50"), default_weights("resnet20")
        ('imagenet', None)
    """
    constructor = _CONSTRUCTORS[get_spec(name).name]
    return inspect.signature(constructor).parameters["weights"].default


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
    "ZeroPadShortcut",
    "count_flops",
    "default_weights",
    "feature_extractor",
    "get_model",
    "get_spec",
    "list_models",
    "recursion_limit",
]

"""Model constructors, the model registry, FLOP counting and feature extraction.

Names load on first use (PEP 562): ``get_spec`` and ``list_models`` need no Keras, so the
command line lists the models at once; ``from keras_resnet.models import ResNet50`` works as
ever.
"""

from __future__ import annotations

from keras_resnet.lazy import accessors

#: Each public name and the module that defines it.
_WHERE = {
    **dict.fromkeys(
        ("Plain20", "Plain32", "Plain44", "Plain56", "Plain110", "ResNet20", "ResNet32",
         "ResNet44", "ResNet56", "ResNet110", "ResNet1202"), "cifar"),
    **dict.fromkeys(
        ("Plain18", "Plain34", "ResNet18", "ResNet34", "ResNet50", "ResNet101", "ResNet152"),
        "imagenet"),
    **dict.fromkeys(
        ("NetSpec", "all_specs", "cifar_spec", "default_weights", "get_spec", "list_models"),
        "specs"),
    "get_model": "by_name",
    "recursion_limit": "builder",
    "feature_extractor": "features",
    "count_flops": "flops",
    "ZeroPadShortcut": "layers",
    "ResNetModel": "model",
}  # fmt: skip

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
    "all_specs",
    "cifar_spec",
    "count_flops",
    "default_weights",
    "feature_extractor",
    "get_model",
    "get_spec",
    "list_models",
    "recursion_limit",
]


def register_custom_objects() -> None:
    """Start Keras quietly and register the custom objects the package's files hold
    (``ResNetModel``, ``ZeroPadShortcut``, ``PaperSchedule``): what ``import keras_resnet``
    does, and what the console script does for the commands that need Keras.

    Example:
        >>> register_custom_objects()  # already done here: nothing more happens
    """
    from keras_resnet import (
        _quiet_start,  # noqa: F401  (first: Keras without TF's chatter)
        schedules,  # noqa: F401  (PaperSchedule)
    )
    from keras_resnet.models import layers, model  # noqa: F401  (ZeroPadShortcut, ResNetModel)


__getattr__, __dir__ = accessors(__name__, _WHERE, __all__)

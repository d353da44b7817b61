"""``get_model``: a model built by name, with its constructor's arguments."""

from __future__ import annotations

import keras

from keras_resnet.models import cifar, imagenet
from keras_resnet.models.specs import get_spec


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

"""keras_resnet: the paper's ResNets as Keras 3 Functional models.

``import keras_resnet`` registers every custom object its saved files hold (``ResNetModel``,
``ZeroPadShortcut``, ``PaperSchedule``): any ``.keras`` file the package wrote then loads with
``keras.saving.load_model``.

Example:
    >>> import keras_resnet
    >>> model = keras_resnet.ResNet20()
    >>> model.output_shape
    (None, 10)
"""

from keras_resnet import schedules  # noqa: F401  (registers PaperSchedule for loading)
from keras_resnet.imagenet_utils import decode_predictions, preprocess_input
from keras_resnet.models import (
    Plain18,
    Plain20,
    Plain32,
    Plain34,
    Plain44,
    Plain56,
    Plain110,
    ResNet18,
    ResNet20,
    ResNet32,
    ResNet34,
    ResNet44,
    ResNet50,
    ResNet56,
    ResNet101,
    ResNet110,
    ResNet152,
    ResNet1202,
    ResNetModel,
    ZeroPadShortcut,
    count_flops,
    feature_extractor,
    get_model,
    get_spec,
    list_models,
    recursion_limit,
)
from keras_resnet.version import __version__
from keras_resnet.zoo import list_weights, register_weights, weights_info

__all__ = [
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
    "__version__",
    "count_flops",
    "decode_predictions",
    "feature_extractor",
    "get_model",
    "get_spec",
    "list_models",
    "list_weights",
    "preprocess_input",
    "recursion_limit",
    "register_weights",
    "weights_info",
]

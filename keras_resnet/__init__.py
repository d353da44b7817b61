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

from keras_resnet import (
    _quiet_start,  # noqa: F401  (first: starts Keras without TF's chatter)
    schedules,  # noqa: F401  (registers PaperSchedule for loading)
)
from keras_resnet.deploy import export, fold_batchnorm
from keras_resnet.imagenet_utils import decode_predictions, preprocess_input
from keras_resnet.models import *  # noqa: F403  (constructors, get_model, count_flops, ...)
from keras_resnet.models import __all__ as _model_names
from keras_resnet.version import __version__
from keras_resnet.zoo import list_weights, register_weights, weights_info

__all__ = [
    *_model_names,
    "__version__",
    "decode_predictions",
    "export",
    "fold_batchnorm",
    "list_weights",
    "preprocess_input",
    "register_weights",
    "weights_info",
]


#: Subpackages and modules reachable as attributes (``keras_resnet.recipes.train`` after
#: ``import keras_resnet`` alone), imported on first use: TensorFlow-heavy ones stay unloaded.
_SUBMODULES = frozenset(
    {"cli", "data", "deploy", "errors", "imagenet_utils", "io", "lock", "models", "recipes",
     "schedules", "vocabulary", "zoo"}
)  # fmt: skip


def __getattr__(name: str):
    """PEP 562: import a subpackage when it is first used as an attribute.

    Example:
        >>> keras_resnet.recipes.get("cifar10_resnet20").steps
        64000
    """
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"keras_resnet.{name}")
    raise AttributeError(f"module 'keras_resnet' has no attribute {name!r}")

"""keras_resnet: the paper's ResNets as Keras 3 Functional models.

``import keras_resnet`` registers every custom object its saved files hold (``ResNetModel``,
``ZeroPadShortcut``, ``PaperSchedule``): any ``.keras`` file the package wrote then loads with
``keras.saving.load_model``. The ``keras-resnet`` console script alone starts light: its
``--help``, argument errors, ``models`` and ``weights list`` import no Keras, and the commands
that need it load the package in full first.

Example:
    >>> import keras_resnet
    >>> model = keras_resnet.ResNet20()
    >>> model.output_shape
    (None, 10)
"""

import os
import sys

from keras_resnet._backend import choose_backend

choose_backend()  # before anything starts Keras: JAX or PyTorch where TensorFlow is missing

from keras_resnet.lazy import accessors  # noqa: E402
from keras_resnet.version import __version__  # noqa: E402


def _model_names() -> list[str]:
    from keras_resnet.models import __all__ as names

    return list(names)


#: Public names and the module of each, imported on first use (PEP 562); subpackages too
#: (``keras_resnet.recipes.train`` after ``import keras_resnet`` alone).
_WHERE = {
    **dict.fromkeys(_model_names(), "keras_resnet.models"),
    "decode_predictions": "keras_resnet.imagenet_utils",
    "preprocess_input": "keras_resnet.imagenet_utils",
    "export": "keras_resnet.deploy",
    "fold_batchnorm": "keras_resnet.deploy",
    "list_weights": "keras_resnet.zoo",
    "register_weights": "keras_resnet.zoo",
    "weights_info": "keras_resnet.zoo",
}

__all__ = [*_model_names(), "__version__", *sorted(set(_WHERE) - set(_model_names()))]


__getattr__, __dir__ = accessors(__name__, _WHERE, __all__)


if os.path.basename(sys.argv[0] if sys.argv else "") != "keras-resnet":
    from keras_resnet.models import register_custom_objects

    register_custom_objects()

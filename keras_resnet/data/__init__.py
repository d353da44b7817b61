"""Datasets for the paper's recipes: tensorflow-datasets + tf.data with its augmentations, and
small datasets as arrays in memory.

The catalog and the in-memory arrays (``arrays``, ``keras_resnet.data.memory``) need no
TensorFlow; the tf.data pipelines, TFDS and the evaluation views load it on first use (PEP 562),
so ``from keras_resnet.data import memory`` works on JAX or PyTorch without it.

Example:
    >>> from keras_resnet import data
    >>> sorted(data.KNOWN_DATASETS)[:2]
    ['cifar10', 'cifar100']
"""

from keras_resnet.checkpoint import preprocessing_dict
from keras_resnet.data.catalog import KNOWN_DATASETS, DatasetDefaults, defaults_for
from keras_resnet.data.memory import arrays
from keras_resnet.errors import needs_tensorflow
from keras_resnet.lazy import attribute

#: The names that need TensorFlow, and the module of each.
_LAZY = {
    "from_directory": "directory",
    "PAPER_SCALES": "evaluation",
    "fully_convolutional": "evaluation",
    "multiscale_predict": "evaluation",
    "ten_crop": "evaluation",
    "decoded": "pipeline",
    "info": "pipeline",
    "load": "pipeline",
    "check_name": "sources",
    "get_builder": "sources",
    "evaluation_view": "views",
}

__all__ = [
    "KNOWN_DATASETS",
    "DatasetDefaults",
    "arrays",
    "defaults_for",
    "preprocessing_dict",
    *sorted(_LAZY),
]


def __getattr__(name: str):
    """Import a TensorFlow-backed name, or a submodule, when it is first used.

    Example:
        >>> from keras_resnet import data
        >>> data.load.__name__
        'load'
    """
    try:
        return attribute(__name__, name, _LAZY)
    except ModuleNotFoundError as error:
        if name not in _LAZY or error.name not in ("tensorflow", "tensorflow_datasets"):
            raise
        raise needs_tensorflow(f"keras_resnet.data.{name} (tf.data and TFDS)") from error

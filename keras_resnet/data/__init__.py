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

import importlib

from keras_resnet.checkpoint import preprocessing_dict
from keras_resnet.data.catalog import KNOWN_DATASETS, DatasetDefaults, defaults_for
from keras_resnet.data.memory import arrays

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
    if name in _LAZY:
        try:
            module = importlib.import_module(f"keras_resnet.data.{_LAZY[name]}")
        except ModuleNotFoundError as error:
            if error.name not in ("tensorflow", "tensorflow_datasets"):
                raise
            raise ImportError(
                f"keras_resnet.data.{name} needs TensorFlow and tensorflow-datasets (tf.data "
                "pipelines): pip install tensorflow tensorflow-datasets. Without them, "
                "keras_resnet.data.arrays and keras_resnet.data.memory hold small datasets."
            ) from error
        return getattr(module, name)
    try:
        return importlib.import_module(f"keras_resnet.data.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"keras_resnet.data.{name}":
            raise
    raise AttributeError(f"module 'keras_resnet.data' has no attribute {name!r}")

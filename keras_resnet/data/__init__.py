"""Datasets for the paper's recipes: tensorflow-datasets + tf.data with its augmentations.

Example:
    >>> from keras_resnet import data
    >>> sorted(data.KNOWN_DATASETS)[:2]
    ['cifar10', 'cifar100']
"""

from keras_resnet.data.catalog import KNOWN_DATASETS, DatasetDefaults, defaults_for
from keras_resnet.data.directory import from_directory
from keras_resnet.data.evaluation import (
    PAPER_SCALES,
    fully_convolutional,
    multiscale_predict,
    ten_crop,
)
from keras_resnet.data.memory import arrays
from keras_resnet.data.pipeline import decoded, info, load
from keras_resnet.data.sources import check_name, get_builder
from keras_resnet.data.views import evaluation_view, preprocessing_dict

__all__ = [
    "KNOWN_DATASETS",
    "PAPER_SCALES",
    "DatasetDefaults",
    "arrays",
    "check_name",
    "decoded",
    "defaults_for",
    "evaluation_view",
    "from_directory",
    "fully_convolutional",
    "get_builder",
    "info",
    "load",
    "multiscale_predict",
    "preprocessing_dict",
    "ten_crop",
]

"""Weights for built models: local files and the pretrained zoo on the Hugging Face Hub.

The zoo works on any built model by layer names and never imports ``keras_resnet.models``.
"""

from keras_resnet.checkpoint import Checkpoint, Preprocessing
from keras_resnet.zoo.loading import (
    WEIGHT_FILE_SUFFIXES,
    Target,
    load_weights,
    resolve_weights,
)
from keras_resnet.zoo.registry import list_weights, register_weights, weights_info

__all__ = [
    "WEIGHT_FILE_SUFFIXES",
    "Checkpoint",
    "Preprocessing",
    "Target",
    "list_weights",
    "load_weights",
    "register_weights",
    "resolve_weights",
    "weights_info",
]

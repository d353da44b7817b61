"""Weights for built models: local files today, the pretrained Hub zoo next.

The zoo works on any built model by layer names and never imports ``keras_resnet.models``.
"""

from keras_resnet.zoo.loading import WEIGHT_FILE_SUFFIXES, check_weights_argument, load_weights

__all__ = ["WEIGHT_FILE_SUFFIXES", "check_weights_argument", "load_weights"]

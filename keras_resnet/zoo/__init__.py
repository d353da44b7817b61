"""Weights for built models: local files and the pretrained zoo on the Hugging Face Hub.

The zoo works on any built model by layer names and never imports ``keras_resnet.models``.
Names load on first use (PEP 562): the registry (``list_weights``, ``weights_info``) needs no
Keras, so ``keras-resnet weights list`` answers at once.
"""

from keras_resnet.lazy import accessors

#: Each public name and the module that defines it.
_WHERE = {
    "Checkpoint": "keras_resnet.checkpoint",
    "Preprocessing": "keras_resnet.checkpoint",
    "WEIGHT_FILE_SUFFIXES": "keras_resnet.weight_files",
    "ModelLayout": "keras_resnet.zoo.loading",
    "load_weights": "keras_resnet.zoo.loading",
    "ResolvedWeights": "keras_resnet.zoo.loading",
    "resolve_weights": "keras_resnet.zoo.loading",
    "list_weights": "keras_resnet.zoo.registry",
    "register_weights": "keras_resnet.zoo.registry",
    "weights_info": "keras_resnet.zoo.registry",
}

__all__ = sorted(_WHERE)


__getattr__, __dir__ = accessors(__name__, _WHERE, __all__)

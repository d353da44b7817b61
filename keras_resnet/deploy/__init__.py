"""Deployment: ``fold_batchnorm`` (inference rewrite) and ``export`` (SavedModel, LiteRT, ONNX,
OpenVINO; float32, float16, bfloat16 or int8, each checked against Keras). Names load on
first use (PEP 562): ``deploy.formats`` (the formats' names and quantizations) needs no Keras.

Example:
    >>> from keras_resnet import deploy
    >>> deploy.QUANTIZATIONS["litert"]
    (None, 'float16', 'int8')
"""

from keras_resnet.lazy import accessors

#: Each public name and the module that defines it.
_WHERE = {
    "BACKEND_FORMATS": "formats",
    "QUANTIZATIONS": "formats",
    "TOLERANCES": "artifacts",
    "ExportResult": "artifacts",
    "ExportToleranceError": "artifacts",
    "export": "artifacts",
    "fold_batchnorm": "fold",
}

__all__ = sorted(_WHERE)


__getattr__, __dir__ = accessors(__name__, _WHERE, __all__)

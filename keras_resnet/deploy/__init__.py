"""Deployment: ``fold_batchnorm`` (inference rewrite) and ``export`` (SavedModel, LiteRT, ONNX,
OpenVINO; float32, float16, bfloat16 or int8, each checked against Keras)."""

from keras_resnet.deploy.artifacts import (
    BACKEND_FORMATS,
    QUANTIZATIONS,
    TOLERANCES,
    ExportResult,
    ExportToleranceError,
    export,
)
from keras_resnet.deploy.fold import fold_batchnorm

__all__ = [
    "BACKEND_FORMATS",
    "QUANTIZATIONS",
    "TOLERANCES",
    "ExportResult",
    "ExportToleranceError",
    "export",
    "fold_batchnorm",
]

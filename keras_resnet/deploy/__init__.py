"""Deployment: ``fold_batchnorm`` (inference rewrite) and ``export`` (SavedModel, LiteRT)."""

from keras_resnet.deploy.artifacts import QUANTIZATIONS, ExportResult, export
from keras_resnet.deploy.fold import fold_batchnorm

__all__ = ["QUANTIZATIONS", "ExportResult", "export", "fold_batchnorm"]

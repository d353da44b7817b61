"""The export formats, one adapter each (``ExportFormat``): adding a format is one module and
one line in ``FORMATS``. Importing this package loads neither Keras nor TensorFlow.

Example:
    >>> get("litert").suffix, QUANTIZATIONS["onnx"]
    ('.tflite', (None, 'int8'))
"""

from __future__ import annotations

from keras_resnet.deploy.formats.base import EXTRA, ExportFormat
from keras_resnet.deploy.formats.litert import LiteRTFormat
from keras_resnet.deploy.formats.onnx import OnnxFormat
from keras_resnet.deploy.formats.openvino import OpenVINOFormat
from keras_resnet.deploy.formats.saved_model import SavedModelFormat
from keras_resnet.vocabulary import check_choice

#: Every format by Keras' name for it.
FORMATS: dict[str, ExportFormat] = {
    f.name: f for f in (SavedModelFormat(), LiteRTFormat(), OnnxFormat(), OpenVINOFormat())
}
#: What ``quantize`` each format takes (None: the float32 network as trained).
QUANTIZATIONS = {name: f.quantizations for name, f in FORMATS.items()}
#: The formats Keras' own ``model.export`` writes on each backend (tried with Keras 3.15: JAX
#: lacks LiteRT, and ONNX without the jax2onnx package, and its OpenVINO conversion fails on
#: a ResNet; PyTorch's SavedModel export fails and LiteRT needs litert-torch).
BACKEND_FORMATS = {
    backend: tuple(name for name, f in FORMATS.items() if backend in f.backends)
    for backend in ("tensorflow", "jax", "torch")
}


def get(format: str) -> ExportFormat:
    """The adapter of ``format``, refused by name when there is none.

    Example:
        >>> get("onnx").quantizations
        (None, 'int8')
    """
    check_choice("format", format, tuple(FORMATS))
    return FORMATS[format]


__all__ = ["BACKEND_FORMATS", "EXTRA", "FORMATS", "QUANTIZATIONS", "ExportFormat", "get"]

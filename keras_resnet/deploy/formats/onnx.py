"""``onnx``: Keras' ``model.export`` (tf2onnx); int8 by ``onnxruntime.quantization.
quantize_static`` (QDQ, uint8 activations, per-channel 7-bit int8 weights); run by
``onnxruntime.InferenceSession``."""

from __future__ import annotations

import os
import warnings

import numpy as np

from keras_resnet.deploy.formats.base import PASS_THROUGH, ExportFormat

_WEIGHT_OPS = ("Conv", "MatMul", "Gemm")


def _session(path: str):
    import onnxruntime

    return onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])


def quantize_int8(float_path: str, path: str, images: np.ndarray, **settings) -> None:
    """``quantize_static`` of the float32 file with the shipped settings, or ``settings``
    (bench/onnx_int8.py compares others).

    Example:
        >>> quantize_int8("m.float32.onnx", "m.onnx", images)  # doctest: +SKIP
    """
    from onnxruntime.quantization import CalibrationDataReader, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = float_path + ".prepared.onnx"
    quant_pre_process(float_path, prepared, skip_symbolic_shape=True)
    name = _session(prepared).get_inputs()[0].name

    class Images(CalibrationDataReader):
        def __init__(self):
            self.images = iter(images)

        def get_next(self):
            image = next(self.images, None)
            return None if image is None else {name: image[None]}

    # U8S8 is ONNX Runtime's fast x86 int8 path (3x S8S8 on ResNet-50, bench/onnx_int8.py);
    # 7-bit weights (reduce_range) keep CPUs without VNNI, which sum u8 x s8 pairs in int16,
    # from saturating (ONNX Runtime's quantization guide).
    settings = {"activation_type": QuantType.QUInt8, "weight_type": QuantType.QInt8,
                "per_channel": True, "reduce_range": True, **settings}  # fmt: skip
    try:
        quantize_static(prepared, path, Images(), **settings)
    finally:
        os.remove(prepared)


class OnnxFormat(ExportFormat):
    """An ``.onnx`` file: float32 or int8 (QDQ), written on TensorFlow and PyTorch.

    Example:
        >>> OnnxFormat().modules
        ('tf2onnx', 'onnx', 'onnxruntime')
    """

    name = "onnx"
    suffix = ".onnx"
    quantizations = (None, "int8")
    backends = ("tensorflow", "torch")
    modules = ("tf2onnx", "onnx", "onnxruntime")

    def _write(self, network, path, quantize, images) -> None:
        float_path = path if quantize is None else path + ".float32.onnx"
        with warnings.catch_warnings():  # tf2onnx on numpy 2
            warnings.simplefilter("ignore", FutureWarning)
            network.export(float_path, format=self.name, verbose=False)
        if quantize == "int8":
            try:
                quantize_int8(float_path, path, images)
            finally:
                os.remove(float_path)

    def load(self, path, quantize=None):
        session = _session(path)
        name = session.get_inputs()[0].name
        return lambda x: session.run(None, {name: x})[0]

    def _stored_weight_dtypes(self, path):
        import onnx

        graph = onnx.load(path).graph
        stored = {
            t.name: onnx.helper.tensor_dtype_to_np_dtype(t.data_type).name
            for t in graph.initializer
        }
        producers = {output: node for node in graph.node for output in node.output}
        for node in graph.node:
            if node.op_type in _WEIGHT_OPS:
                name = node.input[1]
                while name in producers and producers[name].op_type in PASS_THROUGH:
                    name = producers[name].input[0]
                if name in stored:
                    yield stored[name]

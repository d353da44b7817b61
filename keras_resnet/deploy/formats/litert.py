"""``litert``: Keras' ``model.export`` with the TFLite converter's options (float16 weights;
full int8 from a representative dataset); run by the TFLite interpreter."""

from __future__ import annotations

import os
import warnings

import numpy as np

from keras_resnet.deploy.formats.base import PASS_THROUGH, ExportFormat

_WEIGHT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def converter_options(quantize: str | None, images: np.ndarray | None) -> dict:
    """The TFLite converter's settings for ``quantize`` (Keras passes them through).

    Example:
        >>> converter_options(None, None)
        {}
    """
    if quantize is None:
        return {}
    import tensorflow as tf

    if quantize == "float16":
        return {"optimizations": [tf.lite.Optimize.DEFAULT],
                "target_spec": {"supported_types": [tf.float16]}}  # fmt: skip

    def representative_dataset():
        for image in images:
            yield [image[None]]

    return {
        "optimizations": [tf.lite.Optimize.DEFAULT],
        "representative_dataset": representative_dataset,
        # Every op in int8 (float32 input and output, quantized at the edges).
        "target_spec": {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]},
    }


def _interpreter(path: str, threads: int | None = None):
    import tensorflow as tf

    with warnings.catch_warnings():  # its successor, ai_edge_litert, is not a dependency
        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
        return tf.lite.Interpreter(model_path=path, num_threads=threads)


class LiteRTFormat(ExportFormat):
    """A ``.tflite`` file: float32, float16 weights or full int8.

    Example:
        >>> LiteRTFormat().quantizations
        (None, 'float16', 'int8')
    """

    name = "litert"
    suffix = ".tflite"
    quantizations = (None, "float16", "int8")

    def _write(self, network, path, quantize, images) -> None:
        network.export(path, format=self.name, verbose=False,
                       **converter_options(quantize, images))  # fmt: skip

    def load(self, path, quantize=None):
        interpreter = _interpreter(path, threads=os.cpu_count())
        [source] = interpreter.get_input_details()
        output_index = interpreter.get_output_details()[0]["index"]

        def predict(x: np.ndarray) -> np.ndarray:
            if tuple(interpreter.get_input_details()[0]["shape"]) != x.shape:
                interpreter.resize_tensor_input(source["index"], x.shape)
                interpreter.allocate_tensors()
            interpreter.set_tensor(source["index"], x)
            interpreter.invoke()
            return interpreter.get_tensor(output_index).copy()

        return predict

    def _stored_weight_dtypes(self, path):
        interpreter = _interpreter(path)
        tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
        ops = interpreter._get_ops_details()  # the only op graph the interpreter shows
        producers = {output: op for op in ops for output in op["outputs"]}
        for op in ops:
            if op["op_name"] in _WEIGHT_OPS:
                index = op["inputs"][1]
                while index in producers and producers[index]["op_name"] in PASS_THROUGH:
                    index = producers[index]["inputs"][0]
                yield np.dtype(tensors[index]["dtype"]).name

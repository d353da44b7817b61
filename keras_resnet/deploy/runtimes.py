"""One adapter per export format: write the file with Keras and the format's own tools, run
it in its own runtime, tell what its convolution weights are stored as.

- ``tf_saved_model``: Keras' ``model.export``; served by ``tf.saved_model.load(path).serve``.
- ``litert``: Keras' ``model.export`` with the TFLite converter's options (float16 weights;
  full int8 from a representative dataset); run by the TFLite interpreter.
- ``onnx``: Keras' ``model.export`` (tf2onnx); int8 by ``onnxruntime.quantization.
  quantize_static`` (QDQ, uint8 activations, per-channel 7-bit int8 weights); run by
  ``onnxruntime.InferenceSession``.
- ``openvino``: Keras' ``model.export`` (an IR ``.xml`` with its ``.bin``); int8 by NNCF's
  post-training ``nncf.quantize``, OpenVINO's own quantizer (the runtime's documented path;
  its older POT is gone); bfloat16 is the runtime's ``INFERENCE_PRECISION_HINT``, not a file
  change: the IR stays float32 and the hint is recorded in ``export.json``.
"""

from __future__ import annotations

import collections
import importlib
import os
import shutil
import warnings

import numpy as np

#: The pip extra that installs every optional runtime.
EXTRA = "keras-resnet-zoo[export]"
#: The file name each format's path must end with (None: a folder).
SUFFIXES = {"tf_saved_model": None, "litert": ".tflite", "onnx": ".onnx", "openvino": ".xml"}
_MODULES = {"onnx": ("tf2onnx", "onnx", "onnxruntime"), "openvino": ("openvino",)}


def _runtime_modules(format: str, quantize: str | None) -> tuple[str, ...]:
    """The optional packages that write and run ``format`` (NNCF only for OpenVINO int8)."""
    return _MODULES.get(format, ()) + (
        ("nncf",) if (format, quantize) == ("openvino", "int8") else ()
    )


def require(format: str, quantize: str | None = None) -> None:
    """Raise ImportError naming the extra when ``format``'s runtime is not installed.

    Example:
        >>> require("tf_saved_model")  # TensorFlow is always there
    """
    for module in _runtime_modules(format, quantize):
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise ImportError(
                f"format={format!r} needs the Python package {module!r}, which is not "
                f"installed: pip install '{EXTRA}'"
            ) from error


def openvino_options(quantize: str | None) -> dict:
    """What ``openvino.Core.compile_model`` is given: f32 unless bfloat16 was asked for (on
    a CPU with bf16 units OpenVINO would otherwise pick bf16 by itself).

    Example:
        >>> openvino_options("bfloat16")
        {'INFERENCE_PRECISION_HINT': 'bf16'}
    """
    return {"INFERENCE_PRECISION_HINT": "bf16" if quantize == "bfloat16" else "f32"}


def artifact_files(format: str, path: str) -> list[str]:
    """Every file that makes up the artifact at ``path`` (a SavedModel's whole tree, an IR's
    ``.xml`` and ``.bin``).

    Example:
        >>> artifact_files("openvino", "m.xml")
        ['m.xml', 'm.bin']
    """
    if format == "tf_saved_model":
        return sorted(
            os.path.join(root, name) for root, _, names in os.walk(path) for name in names
        )
    if format == "openvino":
        return [path, path[: -len(".xml")] + ".bin"]
    return [path]


def remove(format: str, path: str) -> None:
    """Remove the artifact at ``path`` (all its files), if there.

    Example:
        >>> remove("litert", "/nonexistent/m.tflite")
    """
    if os.path.isdir(path):
        shutil.rmtree(path)
        return
    for file in artifact_files(format, path):
        if os.path.exists(file):
            os.remove(file)


def move(format: str, source: str, target: str) -> None:
    """Rename the artifact ``source`` to ``target`` (an IR's ``.bin`` before its ``.xml``, so
    the entry file appears last).

    Example:
        >>> move("litert", "/nonexistent/a.tflite", "/nonexistent/b.tflite")  # doctest: +SKIP
    """
    if os.path.isdir(target):
        shutil.rmtree(target)
    if format == "tf_saved_model":
        os.replace(source, target)
        return
    pairs = zip(artifact_files(format, source), artifact_files(format, target), strict=True)
    for old, new in reversed(list(pairs)):
        os.replace(old, new)


def _litert_options(quantize: str | None, images: np.ndarray | None) -> dict:
    """The TFLite converter's settings for ``quantize`` (Keras passes them through)."""
    import tensorflow as tf

    if quantize is None:
        return {}
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


def _quantize_onnx(float_path: str, path: str, images: np.ndarray, **settings) -> None:
    """``quantize_static`` with the shipped settings, or ``settings`` (bench/onnx_int8.py)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = float_path + ".prepared.onnx"
    quant_pre_process(float_path, prepared, skip_symbolic_shape=True)
    name = _onnx_session(prepared).get_inputs()[0].name

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


def write(network, format: str, path: str, quantize: str | None, images) -> dict:
    """Write ``network`` as ``format`` to ``path``; return the runtime settings a user must
    pass to run it as checked (``{}`` but for OpenVINO's precision hint).

    Example:
        >>> write(keras_resnet.ResNet20(), "litert", "r.tflite", None, None)  # doctest: +SKIP
        {}
    """
    if not network._called:  # Keras' ONNX export refuses a model never called (a folded copy)
        network(np.zeros((1, *network.input_shape[1:]), "float32"), training=False)
    if format in ("tf_saved_model", "litert"):
        network.export(path, format=format, verbose=False, **_litert_options(quantize, images))
        return {}
    if format == "onnx":
        float_path = path if quantize is None else path + ".float32.onnx"
        with warnings.catch_warnings():  # tf2onnx on numpy 2
            warnings.simplefilter("ignore", FutureWarning)
            network.export(float_path, format="onnx", verbose=False)
        if quantize == "int8":
            try:
                _quantize_onnx(float_path, path, images)
            finally:
                os.remove(float_path)
        return {}
    # int8 reads a float IR that must not be the file it writes: OpenVINO maps the .bin into
    # memory, and overwriting a mapped file kills the process (SIGBUS).
    float_path = path if quantize != "int8" else path[: -len(".xml")] + ".float32.xml"
    network.export(float_path, format="openvino", verbose=False)
    if quantize == "int8":
        import nncf
        import openvino as ov

        try:
            quantized = nncf.quantize(
                ov.Core().read_model(float_path), nncf.Dataset(list(images[:, None])),
                subset_size=len(images),
            )  # fmt: skip
            ov.save_model(quantized, path, compress_to_fp16=False)
        finally:
            remove("openvino", float_path)
    return openvino_options(quantize)


def _onnx_session(path: str):
    import onnxruntime

    return onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])


def load(format: str, path: str, quantize: str | None = None):
    """The artifact loaded once in its own runtime: a function from a float32 batch to the
    outputs (numpy), using every core.

    Example:
        >>> predict = load("onnx", "r20.onnx")  # doctest: +SKIP
        >>> predict(np.zeros((2, 32, 32, 3), "float32")).shape  # doctest: +SKIP
        (2, 10)
    """
    if format == "tf_saved_model":
        import tensorflow as tf

        loaded = tf.saved_model.load(path)  # held by the closure: its variables must live
        return lambda x: np.asarray(loaded.serve(tf.constant(x)))
    if format == "onnx":
        session = _onnx_session(path)
        name = session.get_inputs()[0].name
        return lambda x: session.run(None, {name: x})[0]
    if format == "openvino":
        import openvino as ov

        compiled = ov.Core().compile_model(path, "CPU", openvino_options(quantize))
        return lambda x: compiled(x)[0]
    interpreter = _litert_interpreter(path, threads=os.cpu_count())
    [source] = interpreter.get_input_details()
    target = interpreter.get_output_details()[0]["index"]

    def predict(x: np.ndarray) -> np.ndarray:
        if tuple(interpreter.get_input_details()[0]["shape"]) != x.shape:
            interpreter.resize_tensor_input(source["index"], x.shape)
            interpreter.allocate_tensors()
        interpreter.set_tensor(source["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(target).copy()

    return predict


def run(format: str, path: str, x: np.ndarray, quantize: str | None = None) -> np.ndarray:
    """The artifact's outputs for the float32 batch ``x``, through its own runtime.

    Example:
        >>> run("litert", "r.tflite", np.zeros((2, 32, 32, 3), "float32")).shape  # doctest: +SKIP
        (2, 10)
    """
    return load(format, path, quantize)(x)


def _litert_interpreter(path: str, threads: int | None = None):
    import tensorflow as tf

    with warnings.catch_warnings():  # its successor, ai_edge_litert, is not a dependency
        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
        return tf.lite.Interpreter(model_path=path, num_threads=threads)


def inference_precision(format: str, path: str, quantize: str | None) -> str | None:
    """The precision OpenVINO's CPU plugin really uses for the artifact here (``"f32"``
    where the CPU has no bf16 units, even when bfloat16 was asked for); None elsewhere.

    Example:
        >>> inference_precision("litert", "m.tflite", None) is None
        True
    """
    if format != "openvino":
        return None
    import openvino as ov

    compiled = ov.Core().compile_model(path, "CPU", openvino_options(quantize))
    return compiled.get_property("INFERENCE_PRECISION_HINT").to_string()


_WEIGHT_OPS = {
    "litert": ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"),
    "onnx": ("Conv", "MatMul", "Gemm"),
    "openvino": ("Convolution", "MatMul"),
}
# Ops between a stored weight and the convolution that uses it (dequantization).
_PASS_THROUGH = {"DEQUANTIZE", "DequantizeLinear", "Convert", "Subtract", "Multiply", "Reshape",
                 "Transpose", "FakeQuantize"}  # fmt: skip


def weight_dtypes(format: str, path: str) -> dict[str, int]:
    """How many convolution / dense weight tensors the artifact stores in each dtype (the
    constant found by following each such op's weight input back through dequantization).

    Example:
        >>> weight_dtypes("litert", "int8.tflite")  # doctest: +SKIP
        {'int8': 22}
    """
    if format == "tf_saved_model":
        import tensorflow as tf

        loaded = tf.saved_model.load(path)
        kernels = [v for v in loaded.variables if len(v.shape) in (2, 4)]
        return dict(collections.Counter(v.dtype.name for v in kernels))
    return dict(collections.Counter(_WEIGHT_READERS[format](path)))


def _litert_weights(path: str):
    interpreter = _litert_interpreter(path)
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    producers = {}
    ops = interpreter._get_ops_details()  # the only op graph the interpreter shows
    for op in ops:
        for output in op["outputs"]:
            producers[output] = op
    for op in ops:
        if op["op_name"] in _WEIGHT_OPS["litert"]:
            index = op["inputs"][1]
            while index in producers and producers[index]["op_name"] in _PASS_THROUGH:
                index = producers[index]["inputs"][0]
            yield np.dtype(tensors[index]["dtype"]).name


def _onnx_weights(path: str):
    import onnx

    graph = onnx.load(path).graph
    stored = {
        t.name: onnx.helper.tensor_dtype_to_np_dtype(t.data_type).name for t in graph.initializer
    }
    producers = {output: node for node in graph.node for output in node.output}
    for node in graph.node:
        if node.op_type in _WEIGHT_OPS["onnx"]:
            name = node.input[1]
            while name in producers and producers[name].op_type in _PASS_THROUGH:
                name = producers[name].input[0]
            if name in stored:
                yield stored[name]


def _openvino_weights(path: str):
    import openvino as ov

    for op in ov.Core().read_model(path).get_ordered_ops():
        if op.get_type_name() in _WEIGHT_OPS["openvino"]:
            source = op.input_value(1).get_node()
            while source.get_type_name() in _PASS_THROUGH:
                source = source.input_value(0).get_node()
            if source.get_type_name() == "Constant":
                yield source.get_output_element_type(0).to_dtype().name


_WEIGHT_READERS = {"litert": _litert_weights, "onnx": _onnx_weights, "openvino": _openvino_weights}


def versions(format: str, quantize: str | None = None) -> dict[str, str]:
    """The versions of what wrote and ran the artifact (for ``export.json``).

    Example:
        >>> sorted(versions("onnx"))
        ['keras', 'keras-resnet-zoo', 'onnx', 'onnxruntime', 'tensorflow', 'tf2onnx']
    """
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("keras-resnet-zoo", "keras", "tensorflow", *_runtime_modules(format, quantize)):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found

"""``openvino``: Keras' ``model.export`` (an IR ``.xml`` with its ``.bin``); int8 by NNCF's
post-training ``nncf.quantize``, OpenVINO's own quantizer (the runtime's documented path; its
older POT is gone); bfloat16 is the runtime's ``INFERENCE_PRECISION_HINT``, not a file change:
the IR stays float32 and the hint is recorded in ``export.json``."""

from __future__ import annotations

from keras_resnet.deploy.formats.base import PASS_THROUGH, ExportFormat

_WEIGHT_OPS = ("Convolution", "MatMul")


class OpenVINOFormat(ExportFormat):
    """An OpenVINO IR (``.xml`` and ``.bin``): float32, int8, or bfloat16 by the runtime.

    Example:
        >>> OpenVINOFormat().runtime_options("bfloat16")
        {'INFERENCE_PRECISION_HINT': 'bf16'}
    """

    name = "openvino"
    suffix = ".xml"
    quantizations = (None, "int8", "bfloat16")
    backends = ("tensorflow", "torch")
    modules = ("openvino",)

    def runtime_modules(self, quantize):
        return self.modules + (("nncf",) if quantize == "int8" else ())

    def runtime_options(self, quantize):
        # f32 unless bfloat16 was asked for: on a CPU with bf16 units OpenVINO would
        # otherwise pick bf16 by itself.
        return {"INFERENCE_PRECISION_HINT": "bf16" if quantize == "bfloat16" else "f32"}

    def files(self, path: str) -> list[str]:
        return [path, path[: -len(self.suffix)] + ".bin"]

    def _write(self, network, path, quantize, images) -> None:
        # int8 reads a float IR that must not be the file it writes: OpenVINO maps the .bin
        # into memory, and overwriting a mapped file kills the process (SIGBUS).
        float_path = path if quantize != "int8" else path[: -len(self.suffix)] + ".float32.xml"
        network.export(float_path, format=self.name, verbose=False)
        if quantize != "int8":
            return
        import nncf
        import openvino as ov

        try:
            quantized = nncf.quantize(
                ov.Core().read_model(float_path), nncf.Dataset(list(images[:, None])),
                subset_size=len(images),
            )  # fmt: skip
            ov.save_model(quantized, path, compress_to_fp16=False)
        finally:
            self.remove(float_path)

    def _compiled(self, path: str, quantize):
        import openvino as ov

        return ov.Core().compile_model(path, "CPU", self.runtime_options(quantize))

    def load(self, path, quantize=None):
        compiled = self._compiled(path, quantize)
        return lambda x: compiled(x)[0]

    def inference_precision(self, path, quantize):
        """What OpenVINO's CPU plugin really uses (``"f32"`` where the CPU has no bf16 units,
        even when bfloat16 was asked for)."""
        return self._compiled(path, quantize).get_property("INFERENCE_PRECISION_HINT").to_string()

    def _stored_weight_dtypes(self, path):
        import openvino as ov

        for op in ov.Core().read_model(path).get_ordered_ops():
            if op.get_type_name() in _WEIGHT_OPS:
                source = op.input_value(1).get_node()
                while source.get_type_name() in PASS_THROUGH:
                    source = source.input_value(0).get_node()
                if source.get_type_name() == "Constant":
                    yield source.get_output_element_type(0).to_dtype().name

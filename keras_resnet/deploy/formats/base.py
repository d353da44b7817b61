"""What every export format adapter is: its file, its quantizations, the Keras backends that
write it, the optional packages it needs; how it writes, loads, moves and removes an artifact
and which dtypes its convolution weights are stored in. It imports neither Keras nor
TensorFlow (the command line reads the formats' names and quantizations before either)."""

from __future__ import annotations

import collections
import importlib
import os
import shutil
from collections.abc import Callable, Iterable

import numpy as np

#: The pip extra that installs every optional runtime.
EXTRA = "keras-resnet-zoo[export]"
#: Ops between a stored weight and the convolution that uses it (dequantization).
PASS_THROUGH = {"DEQUANTIZE", "DequantizeLinear", "Convert", "Subtract", "Multiply", "Reshape",
                "Transpose", "FakeQuantize"}  # fmt: skip


class ExportFormat:
    """One export format; subclasses set the class attributes and write ``_write``,
    ``load`` and ``_stored_weight_dtypes``.

    Example:
        >>> from keras_resnet.deploy.formats import get
        >>> get("openvino").files("m.xml")
        ['m.xml', 'm.bin']
    """

    #: Keras' name for the format (``model.export(format=...)``).
    name: str = ""
    #: What a path must end with (None: a folder).
    suffix: str | None = None
    #: What ``quantize`` it takes (None: the float32 network as trained).
    quantizations: tuple[str | None, ...] = (None,)
    #: The Keras backends whose ``model.export`` writes it (tried with Keras 3.15).
    backends: tuple[str, ...] = ("tensorflow",)
    #: The optional packages that write and run it.
    modules: tuple[str, ...] = ()

    def runtime_modules(self, quantize: str | None) -> tuple[str, ...]:
        """The optional packages that write and run the format with ``quantize``."""
        return self.modules

    def require(self, quantize: str | None = None) -> None:
        """Raise ImportError naming the extra when the format's runtime is not installed."""
        for module in self.runtime_modules(quantize):
            try:
                importlib.import_module(module)
            except ImportError as error:
                raise ImportError(
                    f"format={self.name!r} needs the Python package {module!r}, which is not "
                    f"installed: pip install '{EXTRA}'"
                ) from error

    def write(self, network, path: str, quantize: str | None, images) -> dict:
        """Write ``network`` to ``path``; return the runtime settings a user must pass to run
        it as checked (``runtime_options``)."""
        if not network._called:  # Keras' ONNX export refuses a model never called (folded)
            network(np.zeros((1, *network.input_shape[1:]), "float32"), training=False)
        self._write(network, path, quantize, images)
        return self.runtime_options(quantize)

    def _write(self, network, path: str, quantize: str | None, images) -> None:
        raise NotImplementedError

    def load(self, path: str, quantize: str | None = None) -> Callable[[np.ndarray], np.ndarray]:
        """The artifact loaded once in its own runtime: a function from a float32 batch to
        the outputs (numpy), using every core."""
        raise NotImplementedError

    def run(self, path: str, x: np.ndarray, quantize: str | None = None) -> np.ndarray:
        """The artifact's outputs for the float32 batch ``x``, through its own runtime."""
        return self.load(path, quantize)(x)

    def runtime_options(self, quantize: str | None) -> dict:
        """What the runtime must be given to run the artifact as checked."""
        return {}

    def inference_precision(self, path: str, quantize: str | None) -> str | None:
        """The precision the runtime really uses, where it chooses one (else None)."""
        return None

    def files(self, path: str) -> list[str]:
        """Every file that makes up the artifact at ``path``."""
        return [path]

    def remove(self, path: str) -> None:
        """Remove the artifact at ``path`` (all its files), if there."""
        if os.path.isdir(path):
            shutil.rmtree(path)
            return
        for file in self.files(path):
            if os.path.exists(file):
                os.remove(file)

    def move(self, source: str, target: str) -> None:
        """Rename the artifact ``source`` to ``target`` (its entry file last)."""
        if os.path.isdir(target):
            shutil.rmtree(target)
        pairs = zip(self.files(source), self.files(target), strict=True)
        for old, new in reversed(list(pairs)):
            os.replace(old, new)

    def weight_dtypes(self, path: str) -> dict[str, int]:
        """How many convolution / dense weight tensors the artifact stores in each dtype."""
        return dict(collections.Counter(self._stored_weight_dtypes(path)))

    def _stored_weight_dtypes(self, path: str) -> Iterable[str]:
        raise NotImplementedError

    def versions(self, quantize: str | None = None) -> dict[str, str]:
        """The versions of what wrote and ran the artifact (for ``export.json``)."""
        from importlib.metadata import PackageNotFoundError, version

        found = {}
        for name in ("keras-resnet-zoo", "keras", "tensorflow", *self.runtime_modules(quantize)):
            try:
                found[name] = version(name)
            except PackageNotFoundError:
                continue
        return found

"""ONNX Runtime int8: which quantization settings run fast on this CPU, and what they cost.

ResNet-50 v1.5 (224x224, random weights, BN folded) exported to ONNX, then quantized by
``onnxruntime.quantization.quantize_static`` (QDQ, per-channel weights, 32 random calibration
images) with signed activations (S8S8, the quantizer's default), unsigned activations (U8S8)
and U8S8 with 7-bit weights (``reduce_range``, what ``keras_resnet.export`` writes). Prints
images/s at batch 16 and 1 against the float32 file (1.00x), round-robin, median of rounds;
then, for the ResNet-20 trained on Fashion-MNIST (tests/fixtures), each setting's accuracy and
top-1 agreement with Keras on the first 2,000 test images (calibrated on 512 training images).

    python bench/onnx_int8.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import onnxruntime as ort
from inference import interleaved_rates
from onnxruntime.quantization import QuantType
from precision import cpu_flags

import keras_resnet
from keras_resnet import data
from keras_resnet.deploy import formats
from keras_resnet.deploy.formats.onnx import quantize_int8
from keras_resnet.recipes.depth_study import machine_description
from keras_resnet.recipes.evaluation import load_model

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures",
                       "fashion_mnist_resnet20.keras")  # fmt: skip
#: Overrides of the settings keras_resnet.export ships (U8S8, per-channel 7-bit weights).
SETTINGS = {
    "S8S8": {"activation_type": QuantType.QInt8, "reduce_range": False},
    "U8S8": {"reduce_range": False},
    "U8S8 reduce_range (shipped)": {},
}


def _sessions(model, calibration: np.ndarray, folder: str) -> dict:
    """The float32 file and one quantized file per setting, each loaded by the ONNX adapter."""
    paths = {"fp32": os.path.join(folder, "fp32.onnx")}
    onnx = formats.get("onnx")
    onnx.write(keras_resnet.fold_batchnorm(model), paths["fp32"], None, None)
    for index, (label, settings) in enumerate(SETTINGS.items()):
        paths[label] = os.path.join(folder, f"int8_{index}.onnx")
        quantize_int8(paths["fp32"], paths[label], calibration, **settings)
    return {label: onnx.load(path) for label, path in paths.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    flags = cpu_flags(("avx2", "avx512_vnni", "amx_int8"))
    print(f"# {machine_description()} (CPU flags: {flags}), onnxruntime {ort.__version__}")
    rng = np.random.default_rng(0)
    images = rng.normal(size=(32, 224, 224, 3)).astype("float32")
    with tempfile.TemporaryDirectory() as folder:
        paths = _sessions(keras_resnet.ResNet50(weights=None), images, folder)
        batches = {16: images[:16], 1: images[:1]}
        rates = interleaved_rates(paths, batches, args.rounds)
    print("\n| ResNet-50 file | batch 16 | ratio | batch 1 | ratio |\n|---|---|---|---|---|")
    for label in paths:
        cells = []
        for size in batches:
            rate = statistics.median(rates[label, size])
            cells += [f"{rate:.1f}", f"{rate / statistics.median(rates['fp32', size]):.2f}x"]
        print(f"| {label} | " + " | ".join(cells) + " |")

    model = load_model(FIXTURE)
    calibration = next(iter(data.load("fashion_mnist", "train", batch_size=512, training=False,
                                      preprocessing=model)))[0].numpy()  # fmt: skip
    test = data.load("fashion_mnist", "test", batch_size=2000, preprocessing=model)
    x, labels = (np.asarray(t) for t in next(iter(test)))
    expected = model.predict(x, batch_size=250, verbose=0).argmax(-1)
    print("\n| ResNet-20 file | accuracy | agreement with Keras |\n|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for label, predict in _sessions(model, calibration, folder).items():
            predicted = np.concatenate([predict(x[i : i + 250]) for i in range(0, 2000, 250)])
            predicted = predicted.argmax(-1)
            print(f"| {label} | {np.mean(predicted == labels.reshape(-1)):.2%} | "
                  f"{np.mean(predicted == expected):.2%} |")  # fmt: skip


if __name__ == "__main__":
    main()

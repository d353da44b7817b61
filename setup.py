"""Packaging for keras-resnet-zoo (import name ``keras_resnet``)."""

import pathlib
import re

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent
VERSION = re.search(
    r'__version__ = "([^"]+)"', (HERE / "keras_resnet" / "version.py").read_text()
).group(1)

# keras_resnet.deploy's optional runtimes, from the versions tested together with TensorFlow
# 2.21 and Keras 3.15 (`pip check` clean): tf2onnx 1.17.0, onnx 1.23.2, onnxruntime 1.32.0,
# openvino 2026.4.1, nncf 3.4.0 (NNCF follows OpenVINO's releases).
EXPORT = ["tf2onnx>=1.17", "onnx>=1.23", "onnxruntime>=1.32", "openvino>=2026.4", "nncf>=3.4"]
# TensorFlow is optional: the tf.data pipelines, TFDS datasets (ImageNet), SavedModel/LiteRT
# export and the TensorBoard logs need it; models, the zoo and the in-memory recipes do not.
TENSORFLOW = [
    "tensorflow>=2.16",
    "tensorflow-datasets>=4.9",
    # tensorflow-datasets 4.9.x fails on first use without it and does not declare it.
    "importlib_resources>=5",
    # the TensorBoard logs of every run (tf.summary needs it; TensorFlow no longer pulls it in)
    "tensorboard>=2.16",
]
# Keras backends. On x86_64 Linux PyPI's torch wheels carry the CUDA libraries (gigabytes):
# `make test` installs the CPU build torch==2.13.0 first, which satisfies this range.
BACKENDS = {"tensorflow": TENSORFLOW, "jax": ["jax>=0.10"], "torch": ["torch>=2.9"]}
ALL = sorted({*TENSORFLOW, *BACKENDS["jax"], *BACKENDS["torch"], *EXPORT})

setup(
    name="keras-resnet-zoo",
    version=VERSION,
    description=(
        'The Keras 3 implementation of "Deep Residual Learning for Image Recognition": '
        "the paper's networks, a pretrained-weight zoo and training recipes."
    ),
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["keras_resnet", "keras_resnet.*"]),
    include_package_data=True,
    package_data={"keras_resnet": ["zoo/*.json", "*.json", "py.typed"]},
    install_requires=[
        "keras>=3.3",
        "h5py>=3.10",
        "pillow>=10",
        "huggingface-hub>=0.23",
        "safetensors>=0.4",
        "numpy>=1.26",
        "matplotlib>=3.7",  # recipes: the Fig. 6-style error plot of every run
    ],
    extras_require={
        **BACKENDS,
        # Optional runtimes of keras_resnet.deploy's exports (they convert through TensorFlow).
        "export": [*TENSORFLOW, *EXPORT],
        "all": ALL,
        "test": ["pytest>=8", "pytest-timeout>=2.3"],
        "dev": ["pytest>=8", "pytest-timeout>=2.3", "ruff>=0.6", *ALL],
    },
    entry_points={"console_scripts": ["keras-resnet=keras_resnet.cli:main"]},
    project_urls={
        "Paper": "https://arxiv.org/abs/1512.03385",
        "Keras": "https://keras.io",
        "Weights (Hugging Face Hub)": "https://huggingface.co/timm",
    },
    classifiers=[
        # What CI tests: CPython 3.11 on Linux; TensorFlow, JAX and PyTorch backends.
        "Development Status :: 4 - Beta",
        "Intended Audience :: Science/Research",
        "Intended Audience :: Developers",
        "Operating System :: POSIX :: Linux",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.11",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
        "Topic :: Scientific/Engineering :: Image Recognition",
        "Typing :: Typed",
    ],
)

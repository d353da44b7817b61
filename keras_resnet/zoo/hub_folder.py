"""Write a checkpoint in the zoo's own Hub format: weights, ``config.json`` and a model card.

A folder made here is what ``weights/publish.py`` uploads and what ``weights="hf://..."``
reads back: ``model.safetensors`` in the Keras layout (keyed ``layer/variable``),
``config.json`` (``"library_name": "keras_resnet"``, arch, variant, shortcut, classes,
preprocessing, sha256 of the weights, provenance) and ``README.md`` with Hub metadata.
"""

from __future__ import annotations

import json
import os

import numpy as np

from keras_resnet.io import sha256_file
from keras_resnet.version import __version__
from keras_resnet.zoo import cache, convert

CARD = """---
library_name: keras_resnet
license: {license}
tags: [image-classification, resnet, keras]
datasets: [imagenet-1k]
---

# {arch} ({variant}) for keras_resnet

Converted from `{source}` (sha256 `{source_sha256}`) by keras_resnet {version}, converter
version {converter_version}. Load it with:

```python
import keras_resnet
model = keras_resnet.get_model("{arch}", weights="hf://<this repo>", variant="{variant}")
```

| field | value |
|---|---|
| weights | `model.safetensors`, sha256 `{sha256}` |
| classes | {num_classes} |
| preprocessing | `{preprocessing}` |
| reported top-1 | {top1} |
| origin | {origin} |
"""


def write_hub_folder(
    state: dict[str, np.ndarray],
    out_dir: str,
    *,
    arch: str,
    variant: str = "v1.5",
    shortcut: str = "B",
    source: str = "unknown",
    source_sha256: str | None = None,
    preprocessing: dict | None = None,
    license: str | None = None,
    metrics: dict | None = None,
    origin: str | None = None,
) -> dict:
    """Write ``state`` (Keras layout) as a Hub-ready folder; returns its ``config.json``.

    Example:
        >>> import tempfile
        >>> state = {"conv1_conv/kernel": np.zeros((3, 3, 3, 16), "float32")}
        >>> config = write_hub_folder(state, tempfile.mkdtemp(), arch="resnet20", shortcut="A")
        >>> config["library_name"], config["format"], len(config["sha256"])
        ('keras_resnet', 'keras_resnet', 64)
    """
    os.makedirs(out_dir, exist_ok=True)
    weights_path = os.path.join(out_dir, "model.safetensors")
    head = state.get("predictions/bias")
    cache.save_state(
        state,
        weights_path,
        {"source": source, "converter_version": str(convert.CONVERTER_VERSION)},
    )
    config = {
        "library_name": "keras_resnet",
        "format": "keras_resnet",
        "filename": "model.safetensors",
        "arch": arch,
        "variant": variant,
        "shortcut": shortcut,
        "num_classes": None if head is None else int(head.shape[0]),
        "sha256": sha256_file(weights_path),
        "preprocessing": preprocessing or {},
        "metrics": metrics or {},
        "license": license,
        "origin": origin,
        "source": source,
        "source_sha256": source_sha256,
        "converter_version": convert.CONVERTER_VERSION,
        "keras_resnet_version": __version__,
    }
    with open(os.path.join(out_dir, "config.json"), "w") as handle:
        json.dump(config, handle, indent=2)
    card = CARD.format(
        version=__version__,
        top1=(metrics or {}).get("top1", "not measured"),
        **{k: config[k] for k in config if k not in ("metrics",)},
    )
    with open(os.path.join(out_dir, "README.md"), "w") as handle:
        handle.write(card)
    return config


def check_folder(folder: str) -> dict:
    """Check a folder made by ``export`` (files present, sha256 matches); returns its config.

    Example:
        >>> check_folder("missing-folder")
        Traceback (most recent call last):
        ...
        FileNotFoundError: 'missing-folder' is not a keras_resnet export: no config.json.
    """
    config_path = os.path.join(folder, "config.json")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(f"{folder!r} is not a keras_resnet export: no config.json.")
    with open(config_path) as handle:
        config = json.load(handle)
    weights_path = os.path.join(folder, config.get("filename", "model.safetensors"))
    if not os.path.isfile(weights_path):
        raise FileNotFoundError(f"{folder!r} has no {config.get('filename')!r}.")
    actual = sha256_file(weights_path)
    if actual != config.get("sha256"):
        raise ValueError(
            f"The sha256 of {weights_path!r} is {actual}, but config.json says "
            f"{config.get('sha256')}: re-export the folder."
        )
    return config

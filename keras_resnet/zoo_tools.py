"""Checkpoint conversions that need both the zoo and the models (the zoo alone never
imports ``keras_resnet.models``): used by ``keras-resnet weights convert`` and
``weights/convert.py``.
"""

from __future__ import annotations

import os

from keras_resnet.models import get_model
from keras_resnet.models.specs import residual_spec_for
from keras_resnet.zoo import convert, export, hub


def convert_checkpoint(src: str, dst: str, *, entry: dict | None = None, variant=None) -> str:
    """Convert checkpoint ``src`` into ``dst``; returns the architecture it holds.

    ``src``: ``.safetensors`` (torchvision/timm or keras_resnet layout) or a legacy
    keras.applications ``.h5``. ``dst``: ``.safetensors`` (keras_resnet layout),
    ``.weights.h5`` / ``.keras`` (a built model), or a folder (weights, ``config.json`` and a
    model card: what ``weights/publish.py`` uploads). The weights are always loaded into the
    matching model first, so a checkpoint that does not fit is refused. ``entry`` (a registry
    entry) adds its preprocessing, metrics, license and origin to a folder's card.

    Example:
        >>> convert_checkpoint("model.pth", "out.safetensors")
        Traceback (most recent call last):
        ...
        ValueError: keras_resnet never unpickles weight files (they can run arbitrary code); \
safetensors is the way. Received: weights='model.pth'
    """
    entry = entry or {}
    state = convert.read_checkpoint(src)
    legacy = src.lower().endswith(".h5")
    variant = variant or entry.get("variant") or ("v1" if legacy else "v1.5")
    about = convert.describe(state)
    spec = residual_spec_for(about["block"], about["blocks_per_stage"], about["stem_kernel"])
    model = get_model(
        spec.name,
        weights=None,
        include_top=about["num_classes"] is not None,
        classes=about["num_classes"] or 1000,
        input_shape=None if about["num_classes"] else (None, None, about["in_channels"]),
        **({"variant": variant} if spec.block == "bottleneck" else {}),
    )
    convert.assign(model, state, source=f"The file {src!r}")
    source = (
        f"{entry['repo_id']}@{entry['revision']}/{entry['filename']}"
        if entry.get("repo_id")
        else os.path.basename(src)
    )
    lower = dst.lower()
    if lower.endswith(".safetensors"):
        hub.save_state(state, dst, {"source": source, "arch": spec.name, "variant": variant})
    elif lower.endswith(".weights.h5"):
        model.save_weights(dst)
    elif lower.endswith(".keras"):
        model.save(dst)
    else:
        export.export(
            state,
            dst,
            arch=spec.name,
            variant=variant,
            shortcut=entry.get("shortcut", "B" if spec.family == "imagenet" else "A"),
            source=source,
            source_sha256=hub.sha256_file(src),
            preprocessing=entry.get("preprocessing"),
            license=entry.get("license"),
            metrics=entry.get("metrics"),
            origin=entry.get("origin"),
        )
    return spec.name

"""Checkpoint conversions that need both the zoo and the models (the zoo alone never
imports ``keras_resnet.models``, so this lives on the models' side): used by
``keras-resnet weights convert`` and ``weights/convert.py``.
"""

from __future__ import annotations

import os

from keras_resnet.checkpoint import Checkpoint
from keras_resnet.io import sha256_file
from keras_resnet.models.specs import default_shortcut, residual_spec_for
from keras_resnet.weight_files import PICKLE_SUFFIXES, is_legacy_h5
from keras_resnet.zoo import cache, convert, hub_folder


def convert_checkpoint(
    src: str, dst: str, *, checkpoint: Checkpoint | None = None, variant=None
) -> str:
    """Convert checkpoint ``src`` into ``dst``; returns the architecture it holds.

    ``src``: ``.safetensors`` (torchvision/timm or keras_resnet layout) or a legacy
    keras.applications ``.h5``. ``dst``: ``.safetensors`` (keras_resnet layout),
    ``.weights.h5`` / ``.keras`` (a built model), or a folder (weights, ``config.json`` and a
    model card: what ``weights/publish.py`` uploads). The weights are always loaded into the
    matching model first, so a checkpoint that does not fit is refused. ``checkpoint`` (a
    registry ``Checkpoint``) adds its preprocessing, metrics, license and origin to a
    folder's card.

    Example:
        >>> convert_checkpoint("model.pth", "out.safetensors")
        Traceback (most recent call last):
        ...
        ValueError: keras_resnet never unpickles weight files (they can run arbitrary code); \
safetensors is the way: use a `.safetensors`, `.weights.h5` or `.keras` file. \
Received: src='model.pth'
    """
    from keras_resnet.models import get_model

    lower = dst.lower()
    if lower.endswith(PICKLE_SUFFIXES) or is_legacy_h5(dst):
        raise ValueError(
            "The `dst` argument should end in .safetensors, .weights.h5 or .keras, or name a "
            f"folder (legacy .h5 and pickle files are not written). Received: dst={dst!r}"
        )
    state = convert.read_checkpoint(
        src, format=checkpoint.format if checkpoint else None, argument="src"
    )
    legacy = is_legacy_h5(src)
    variant = variant or (checkpoint.variant if checkpoint else None)
    variant = variant or ("v1" if legacy else "v1.5")
    layout = convert.describe(state)
    spec = residual_spec_for(layout["block"], layout["blocks_per_stage"], layout["stem_kernel"])
    model = get_model(
        spec.name,
        weights=None,
        include_top=layout["num_classes"] is not None,
        classes=layout["num_classes"] or 1000,
        input_shape=None if layout["num_classes"] else (None, None, layout["in_channels"]),
        **({"variant": variant} if spec.block == "bottleneck" else {}),
    )
    convert.assign(model, state, source=f"The file {src!r}")
    source = (
        f"{checkpoint.repo_id}@{checkpoint.revision}/{checkpoint.filename}"
        if checkpoint and checkpoint.repo_id
        else os.path.basename(src)
    )
    if lower.endswith(".safetensors"):
        cache.save_state(state, dst, {"source": source, "arch": spec.name, "variant": variant})
    elif lower.endswith(".weights.h5"):
        model.save_weights(dst)
    elif lower.endswith(".keras"):
        model.save(dst)
    else:
        hub_folder.write_hub_folder(
            state,
            dst,
            arch=spec.name,
            variant=variant,
            shortcut=checkpoint.shortcut if checkpoint else default_shortcut(spec),
            source=source,
            source_sha256=sha256_file(src),
            preprocessing=checkpoint.preprocessing.to_dict() if checkpoint else None,
            license=checkpoint.license if checkpoint else None,
            metrics=dict(checkpoint.metrics) if checkpoint else None,
            origin=checkpoint.origin if checkpoint else None,
        )
    return spec.name

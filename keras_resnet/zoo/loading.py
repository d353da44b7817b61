"""Put weights into a built model: None, a local file, a zoo name or an ``hf://`` repo.

``check_weights_argument`` runs before the model is built and before any download, so a
mistake (weights for another depth, variant or shortcut; a pickle) costs nothing;
``load_weights`` then fills the built model.
"""

from __future__ import annotations

import dataclasses
import os

import keras

from keras_resnet.zoo import convert, registry

#: Local files that ``weights=`` accepts.
WEIGHT_FILE_SUFFIXES = (".weights.h5", ".keras", ".safetensors", ".h5")

_KERAS_SUFFIXES = (".weights.h5", ".keras")


@dataclasses.dataclass(frozen=True)
class Target:
    """What a checkpoint must fit: the model's arch name and the options that shape it.

    ``variant`` is None where it changes nothing (basic-block nets).

    Example:
        >>> Target("resnet50", variant="v1").shortcut
        'B'
    """

    arch: str
    variant: str | None = None
    shortcut: str = "B"
    include_top: bool = True
    classes: int = 1000


def _is_local_path(weights: str) -> bool:
    """A path, as opposed to a pretrained name ("imagenet", "resnet50.a1_in1k", "hf://...")."""
    if weights.startswith("hf://"):
        return False
    if registry.is_pretrained_name(weights):
        return False
    lower = weights.lower()
    return (
        os.path.exists(weights)
        or os.path.sep in weights
        or lower.endswith((*WEIGHT_FILE_SUFFIXES, *convert.PICKLE_SUFFIXES))
    )


def _is_legacy_h5(path: str) -> bool:
    return path.lower().endswith(".h5") and not path.lower().endswith(".weights.h5")


def check_weights_argument(weights, *, target: Target) -> None:
    """Validate ``weights=`` for a model described by ``target``, before building it.

    Accepts None, ``"imagenet"``, a tag (``"a1_in1k"``), a full checkpoint name
    (``"resnet50.a1_in1k"``), ``"hf://owner/repo[@revision]"`` or an existing
    ``.weights.h5`` / ``.keras`` / ``.safetensors`` / legacy keras.applications ``.h5``
    file. Pickles are refused.

    Example:
        >>> check_weights_argument("imagenet", target=Target("resnet50", variant="v1.5"))
        >>> check_weights_argument("imagenet", target=Target("resnet50", variant="v1"))
        Traceback (most recent call last):
        ...
        ValueError: The checkpoint 'resnet50.tv_in1k' is variant 'v1.5' (every ImageNet \
checkpoint on the Hub is v1.5 (torchvision's stride on the 3x3)), but the model was built \
with variant='v1'. Pass `variant='v1.5'` (keras.applications' Caffe-converted `.h5` weights \
load into variant='v1').
    """
    if weights is None:
        return
    if not isinstance(weights, (str, os.PathLike)):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), a checkpoint name or tag, "
            "'hf://owner/repo', or the path to a weights file to be loaded "
            f"({', '.join(WEIGHT_FILE_SUFFIXES)}). Received: weights={weights!r}"
        )
    path = os.fspath(weights)
    if path.startswith("hf://"):
        registry.parse_hf_url(path)
        return
    if not _is_local_path(path):
        entry = registry.resolve(path, arch=target.arch)
        _check_entry(entry, target)
        return
    if path.lower().endswith(convert.PICKLE_SUFFIXES):
        raise ValueError(
            "keras_resnet never unpickles weight files (they can run arbitrary code); "
            "safetensors is the way: convert the checkpoint to `.safetensors`, `.weights.h5` "
            f"or `.keras`. Received: weights={path!r}"
        )
    if not path.lower().endswith(WEIGHT_FILE_SUFFIXES):
        raise ValueError(
            f"The `weights` file must end in one of {', '.join(WEIGHT_FILE_SUFFIXES)}. "
            f"Received: weights={path!r}"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"The `weights` argument names a file that does not exist. Received: weights={path!r}"
        )
    if _is_legacy_h5(path) and target.variant not in (None, "v1"):
        raise ValueError(
            "A legacy keras.applications `.h5` file holds v1 weights (the paper's Caffe models: "
            f"stride on the first 1x1), but the model was built with variant={target.variant!r}. "
            f"Pass `variant='v1'`. Received: weights={path!r}"
        )


def _check_entry(entry: dict, target: Target) -> None:
    registry.check_compatible(
        entry,
        arch=target.arch,
        variant=target.variant,
        shortcut=target.shortcut,
        include_top=target.include_top,
        classes=target.classes,
    )


def resolve_entry(weights: str, *, target: Target) -> dict | None:
    """The registry entry (or ``hf://`` description) ``weights`` means; None for files.

    Example:
        >>> resolve_entry("imagenet", target=Target("resnet18"))["name"]
        'resnet18.tv_in1k'
    """
    if weights is None:
        return None
    weights = os.fspath(weights)
    if weights.startswith("hf://"):
        from keras_resnet.zoo import hub  # the Hub client loads on the first download

        entry = hub.hf_entry(weights)
    elif _is_local_path(weights):
        return None
    else:
        entry = registry.resolve(weights, arch=target.arch)
    _check_entry(entry, target)
    return entry


def load_weights(model: keras.Model, weights, *, target: Target) -> keras.Model:
    """Fill ``model`` with ``weights`` (see ``check_weights_argument``) and return it.

    Zoo names and ``hf://`` repos download once (verified, converted, cached under
    ``$KERAS_HOME``); ``.safetensors`` and legacy ``.h5`` files are converted by layer name;
    ``.weights.h5`` / ``.keras`` files load with ``model.load_weights``.

    Example:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> load_weights(model, None, target=Target("dense")) is model
        True
    """
    check_weights_argument(weights, target=target)
    if weights is None:
        return model
    path = os.fspath(weights)
    entry = resolve_entry(path, target=target)
    if entry is not None:
        from keras_resnet.zoo import hub

        state = hub.load_state(hub.converted_weights(entry))
        convert.assign(model, state, source=f"The checkpoint {entry['name']!r}")
    elif path.lower().endswith(_KERAS_SUFFIXES):
        model.load_weights(path)
    else:
        convert.assign(model, convert.read_checkpoint(path), source=f"The file {path!r}")
    return model

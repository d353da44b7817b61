"""Put weights into a built model: None, a local file, a zoo name or an ``hf://`` repo.

``resolve_weights`` decides once what ``weights=`` means (a ``ResolvedWeights``: nothing, a
local file or a ``Checkpoint``) before the model is built and before any download, so a
mistake (weights for another depth, variant or shortcut; a pickle) costs nothing;
``load_weights`` then fills the built model.
"""

from __future__ import annotations

import dataclasses
import io
import os
import tempfile
import zipfile

import keras

from keras_resnet.archive import check_keras_archive
from keras_resnet.checkpoint import Checkpoint
from keras_resnet.errors import reading
from keras_resnet.weight_files import (
    PICKLE_SUFFIXES,
    WEIGHT_FILE_SUFFIXES,
    check_weight_file,
    is_legacy_h5,
)
from keras_resnet.zoo import convert, registry

#: Local files Keras itself reads (the rest go through the converter).
_KERAS_SUFFIXES = (".weights.h5", ".keras")


@dataclasses.dataclass(frozen=True)
class ModelLayout:
    """What a checkpoint must fit: the model's arch name and the options that shape it.

    ``variant`` is None where it changes nothing (basic-block nets).

    Example:
        >>> ModelLayout("resnet50", variant="v1").shortcut
        'B'
    """

    arch: str
    variant: str | None = None
    shortcut: str = "B"
    include_top: bool = True
    classes: int = 1000


@dataclasses.dataclass(frozen=True)
class ResolvedWeights:
    """What ``weights=`` resolved to: a zoo ``checkpoint``, the ``path`` of a local file, or
    neither (random weights).

    Example:
        >>> ResolvedWeights().checkpoint is None, ResolvedWeights(path="w.weights.h5").path
        (True, 'w.weights.h5')
    """

    checkpoint: Checkpoint | None = None
    path: str | None = None


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
        or lower.endswith((*WEIGHT_FILE_SUFFIXES, *PICKLE_SUFFIXES))
    )


def check_fits(checkpoint: Checkpoint, layout: ModelLayout) -> None:
    """Refuse, before any download, a checkpoint whose layout differs from ``layout``
    (arch, variant, shortcut, include_top, classes): the one place the zoo checks it.

    Example:
        >>> check_fits(Checkpoint("resnet50.x", "resnet50"), ModelLayout("resnet50", "v1"))
        Traceback (most recent call last):
        ...
        ValueError: The checkpoint 'resnet50.x' is variant 'v1.5' (every ImageNet \
checkpoint on the Hub is v1.5 (torchvision's stride on the 3x3)), but the model was built \
with variant='v1'. Pass `variant='v1.5'` (keras.applications' Caffe-converted `.h5` weights \
load into variant='v1').
    """
    name = checkpoint.name
    if checkpoint.arch != layout.arch:
        raise ValueError(
            f"The checkpoint {name!r} holds weights for {checkpoint.arch}, not {layout.arch}. "
            f"Build {checkpoint.arch} instead, or pick weights from "
            f"{registry.list_weights(layout.arch) or 'none'}. Received: weights={name!r}"
        )
    if layout.variant is not None and checkpoint.variant != layout.variant:
        hint = (
            "every ImageNet checkpoint on the Hub is v1.5 (torchvision's stride on the 3x3)"
            if checkpoint.variant == "v1.5"
            else "this checkpoint puts the stride on the first 1x1, as the paper"
        )
        v1_hint = (
            " (keras.applications' Caffe-converted `.h5` weights load into variant='v1')"
            if layout.variant == "v1"
            else ""
        )
        raise ValueError(
            f"The checkpoint {name!r} is variant {checkpoint.variant!r} ({hint}), but the "
            f"model was built with variant={layout.variant!r}. Pass "
            f"`variant={checkpoint.variant!r}`{v1_hint}."
        )
    if layout.shortcut != checkpoint.shortcut:
        raise ValueError(
            f"The checkpoint {name!r} was trained with shortcut {checkpoint.shortcut!r}, but "
            f"the model was built with shortcut={layout.shortcut!r}: its layers would not "
            f"match. Pass `shortcut={checkpoint.shortcut!r}` or `weights=None`."
        )
    if layout.include_top and layout.classes != checkpoint.num_classes:
        raise ValueError(
            f"If using `weights={name!r}` with `include_top=True`, `classes` should be "
            f"{checkpoint.num_classes}. Received: classes={layout.classes}"
        )


def resolve_weights(weights, *, layout: ModelLayout) -> ResolvedWeights:
    """What ``weights=`` means for a model described by ``layout``, decided once, before the
    model is built and before any weights are downloaded: nothing, the path of a local file,
    or a ``Checkpoint`` that fits ``layout``.

    Accepts None, ``"imagenet"``, a tag (``"a1_in1k"``), a full checkpoint name
    (``"resnet50.a1_in1k"``), ``"hf://owner/repo[@revision]"`` (its config.json is read) or an
    existing ``.weights.h5`` / ``.keras`` / ``.safetensors`` / legacy keras.applications
    ``.h5`` file. Pickles are refused.

    Example:
        >>> v15 = ModelLayout("resnet50", variant="v1.5")
        >>> resolve_weights("imagenet", layout=v15).checkpoint.name
        'resnet50.tv_in1k'
        >>> resolve_weights("imagenet", layout=ModelLayout("resnet50", variant="v1"))
        Traceback (most recent call last):
        ...
        ValueError: The checkpoint 'resnet50.tv_in1k' is variant 'v1.5' (every ImageNet \
checkpoint on the Hub is v1.5 (torchvision's stride on the 3x3)), but the model was built \
with variant='v1'. Pass `variant='v1.5'` (keras.applications' Caffe-converted `.h5` weights \
load into variant='v1').
    """
    if weights is None:
        return ResolvedWeights()
    if isinstance(weights, Checkpoint):
        check_fits(weights, layout)
        return ResolvedWeights(checkpoint=weights)
    if not isinstance(weights, str | os.PathLike):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), a checkpoint name or tag, "
            "'hf://owner/repo', or the path to a weights file to be loaded "
            f"({', '.join(WEIGHT_FILE_SUFFIXES)}). Received: weights={weights!r}"
        )
    path = os.fspath(weights)
    if path.startswith("hf://"):
        from keras_resnet.zoo import hub  # the Hub client itself loads on the first download

        checkpoint = hub.checkpoint_from_hf(path)  # a bad id is refused before any request
    elif not _is_local_path(path):
        checkpoint = registry.resolve(path, arch=layout.arch)
    else:
        _check_local_file(path, layout)
        return ResolvedWeights(path=path)
    check_fits(checkpoint, layout)
    return ResolvedWeights(checkpoint=checkpoint)


def _check_local_file(path: str, layout: ModelLayout) -> None:
    check_weight_file(path, "weights")
    if is_legacy_h5(path) and layout.variant not in (None, "v1"):
        raise ValueError(
            "A legacy keras.applications `.h5` file holds v1 weights (the paper's Caffe models: "
            f"stride on the first 1x1), but the model was built with variant={layout.variant!r}. "
            f"Pass `variant='v1'`. Received: weights={path!r}"
        )


def _saved_names(source) -> set[str]:
    """Every group and dataset path of the model's own variables in a Keras weights file (a
    path or a file object): a trained model's ``.keras`` file also holds its optimizer's
    (``optimizer/vars/...``), which loading into a new model leaves aside."""
    import h5py

    names: set[str] = set()
    with h5py.File(source, "r") as handle:
        handle.visit(names.add)
    return {name for name in names if name.split("/")[0] != "optimizer"}


def check_layer_names(model: keras.Model, path: str) -> None:
    """Refuse a ``.weights.h5`` / ``.keras`` file saved from another architecture.

    Keras loads such files by position: Plain-20's weights fill ResNet-20 (same shapes)
    without a word. The names a Keras weights file holds (``layers/add_3``,
    ``layers/zero_pad_shortcut``, ``layers/batch_normalization_19/vars/0``) are compared with
    those the model itself saves.

    Example:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "plain.weights.h5")
        >>> keras_resnet.Plain20().save_weights(path)
        >>> check_layer_names(keras_resnet.ResNet20(), path)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The file '...plain.weights.h5' was saved from another architecture than \
the model 'resnet20': 11 of the model's layers are missing from it (e.g. ['add', ...]). ...
    """
    if path.lower().endswith(".keras"):
        check_keras_archive(path)  # not a zip, or a zip bomb: refused in its own words
    with reading(path, "Keras weights"):
        if path.lower().endswith(".keras"):
            with zipfile.ZipFile(path) as archive:
                saved = _saved_names(io.BytesIO(archive.read("model.weights.h5")))
        else:
            saved = _saved_names(path)
    with tempfile.TemporaryDirectory() as folder:
        own = os.path.join(folder, "model.weights.h5")
        model.save_weights(own)
        expected = _saved_names(own)
    if saved == expected:
        return
    layers = lambda names: sorted({n.split("/")[1] for n in names if n.startswith("layers/")})  # noqa: E731
    missing, extra = layers(expected - saved), layers(saved - expected)
    parts = []
    if missing:
        parts.append(
            f"{len(missing)} of the model's layers are missing from it (e.g. {missing[:4]})"
        )
    if extra:
        parts.append(f"it holds {len(extra)} layers the model lacks (e.g. {extra[:4]})")
    raise ValueError(
        f"The file {path!r} was saved from another architecture than the model {model.name!r}: "
        f"{' and '.join(parts) or 'their variables differ'}. Is it for another depth, shortcut "
        "option, or a plain net?"
    )


def load_weights(model: keras.Model, weights: ResolvedWeights) -> keras.Model:
    """Fill ``model`` with what ``resolve_weights`` returned, and return it.

    A ``Checkpoint`` downloads once (verified, converted, cached under ``$KERAS_HOME``);
    ``.safetensors`` and legacy ``.h5`` files are converted by layer name; ``.weights.h5`` /
    ``.keras`` files load with ``model.load_weights``.

    Example:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> load_weights(model, ResolvedWeights()) is model
        True
    """
    checkpoint, path = weights.checkpoint, weights.path
    if checkpoint is not None:
        from keras_resnet.zoo import cache  # the Hub client loads on the first download

        state = cache.load_converted(checkpoint)
        convert.assign(model, state, source=f"The checkpoint {checkpoint.name!r}")
    elif path is not None and path.lower().endswith(_KERAS_SUFFIXES):
        check_layer_names(model, path)
        with reading(path, "Keras weights"):
            model.load_weights(path)
    elif path is not None:
        convert.assign(model, convert.read_checkpoint(path), source=f"The file {path!r}")
    return model

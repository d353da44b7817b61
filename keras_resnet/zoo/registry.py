"""The zoo's checkpoints as data: ``list_weights``, ``weights_info``, ``register_weights``.

Every checkpoint is a ``registry.json`` entry with its Hub location, pins, format, variant,
preprocessing, reported metrics, license and origin (timm's ``pretrained_cfg`` idea).
``resolve`` turns what a user passes as ``weights=`` (``"imagenet"``, a tag, a full name)
into one entry and refuses weights the model cannot take before anything is downloaded.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from importlib import resources

from keras_resnet.errors import unknown_name
from keras_resnet.vocabulary import SHORTCUTS, VARIANTS, check_choice

FORMATS = ("timm", "keras_resnet", "keras_applications")
COMMIT_PATTERN = re.compile(r"[0-9a-f]{40}")
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[a-z][a-z0-9]*\.[A-Za-z0-9_\-]+")
_HF_URL = re.compile(r"hf://([\w.\-]+/[\w.\-]+)(?:@([\w.\-/]+))?")


@functools.cache
def _shipped() -> dict:
    text = resources.files("keras_resnet.zoo").joinpath("registry.json").read_text()
    return json.loads(text)


_USER_ENTRIES: dict[str, dict] = {}


def _entries() -> dict[str, dict]:
    return {**_shipped()["weights"], **_USER_ENTRIES}


def default_tag() -> str:
    """The tag ``weights="imagenet"`` means: torchvision's original (V1) training.

    Example:
        >>> default_tag()
        'tv_in1k'
    """
    return _shipped()["default_tag"]


def list_weights(arch: str | None = None) -> list[str]:
    """Names of the registered checkpoints (``"resnet50.tv_in1k"``, ...), sorted.

    Example:
        >>> list_weights("resnet50")
        ['resnet50.a1_in1k', 'resnet50.tv2_in1k', 'resnet50.tv_in1k']
    """
    names = sorted(_entries())
    if arch is not None:
        names = [n for n in names if _entries()[n]["arch"] == str(arch).lower()]
    return names


def weights_info(name: str) -> dict:
    """Everything the registry knows about checkpoint ``name`` (a copy, safe to modify).

    Keys include ``name``, ``arch``, ``tag``, ``repo_id``, ``filename``, ``revision``,
    ``sha256`` (None when not pinned), ``format``, ``variant``, ``shortcut``,
    ``num_classes``, ``preprocessing``, ``test_input_size``, ``metrics`` (with ``"top1"``),
    ``license``, ``origin``.

    Example:
        >>> info = weights_info("resnet50.tv_in1k")
        >>> info["repo_id"], info["metrics"]["top1"]
        ('timm/resnet50.tv_in1k', 76.16)
    """
    entries = _entries()
    if name not in entries:
        raise unknown_name("checkpoint name", "name", name, sorted(entries))
    return {"name": name, **copy.deepcopy(entries[name])}


def register_weights(
    name: str,
    *,
    repo_id: str,
    filename: str,
    revision: str,
    sha256: str,
    format: str,
    variant: str = "v1.5",
    **metadata,
) -> dict:
    """Add a checkpoint on a hub to the registry for this process; returns its entry.

    ``name`` is ``"<arch>.<tag>"`` (``"resnet50.my_in1k"``); ``revision`` a 40-hex commit and
    ``sha256`` the file's 64-hex digest, so what loads is exactly what was registered.
    ``metadata`` may set ``shortcut`` ("B"), ``num_classes`` (1000), ``preprocessing``,
    ``metrics``, ``license``, ``origin``.

    Example:
        >>> entry = register_weights(
        ...     "resnet18.example_in1k", repo_id="me/resnet18", filename="model.safetensors",
        ...     revision="0" * 40, sha256="0" * 64, format="timm")
        >>> "resnet18.example_in1k" in list_weights("resnet18")
        True
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            "The `name` argument should look like '<arch>.<tag>' (e.g. 'resnet50.my_in1k'). "
            f"Received: name={name!r}"
        )
    if name in _shipped()["weights"]:
        raise ValueError(f"The `name` {name!r} is a shipped checkpoint; choose another name.")
    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        raise ValueError(
            f"The `repo_id` argument should be 'owner/name'. Received: repo_id={repo_id!r}"
        )
    if not isinstance(revision, str) or not COMMIT_PATTERN.fullmatch(revision):
        raise ValueError(
            "The `revision` argument should be a 40-hex commit id (pin what you register). "
            f"Received: revision={revision!r}"
        )
    if not isinstance(sha256, str) or not SHA256_PATTERN.fullmatch(sha256):
        raise ValueError(
            "The `sha256` argument should be the 64-hex sha256 of the file. "
            f"Received: sha256={sha256!r}"
        )
    check_choice("format", format, FORMATS)
    check_choice("variant", variant, VARIANTS)
    unknown = set(metadata) - {
        "shortcut",
        "num_classes",
        "preprocessing",
        "metrics",
        "license",
        "origin",
        "reference",
    }
    if unknown:
        raise ValueError(f"register_weights() got unknown keyword arguments: {sorted(unknown)}")
    entry = {
        "arch": name.split(".")[0],
        "tag": name.split(".", 1)[1],
        "repo_id": repo_id,
        "filename": filename,
        "revision": revision,
        "sha256": sha256,
        "format": format,
        "variant": variant,
        "shortcut": metadata.get("shortcut", "B"),
        "num_classes": metadata.get("num_classes", 1000),
        "preprocessing": metadata.get("preprocessing", {}),
        "metrics": metadata.get("metrics", {"top1": None}),
        "license": metadata.get("license"),
        "origin": metadata.get("origin", "registered by the user"),
    }
    check_choice("shortcut", entry["shortcut"], SHORTCUTS)
    _USER_ENTRIES[name] = entry
    return weights_info(name)


def is_pretrained_name(weights: str) -> bool:
    """Whether ``weights`` names zoo weights (as opposed to a file path or an ``hf://`` id).

    Example:
        >>> is_pretrained_name("imagenet"), is_pretrained_name("resnet50.a1_in1k")
        (True, True)
    """
    tags = {e["tag"] for e in _entries().values()}
    return weights == "imagenet" or weights in tags or weights in _entries()


def resolve(weights: str, *, arch: str) -> dict:
    """The entry ``weights`` (``"imagenet"``, a tag or a full name) means for model ``arch``.

    Raises a ValueError naming what was asked and what ``arch`` can take when there is no
    such checkpoint, or it belongs to another architecture.

    Example:
        >>> resolve("imagenet", arch="resnet101")["name"]
        'resnet101.tv_in1k'
        >>> resolve("a1_in1k", arch="resnet18")["repo_id"]
        'timm/resnet18.a1_in1k'
    """
    available = list_weights(arch)
    if not available:
        archs = sorted({e["arch"] for e in _entries().values()})
        raise ValueError(
            f"There are no pretrained weights for {arch}: the zoo holds ImageNet checkpoints "
            f"for {archs} (residual nets with shortcut B). CIFAR networks and plain networks "
            "are trained from scratch: use `weights=None`, or the path of your own weights "
            f"file. Received: weights={weights!r}"
        )
    if weights in _entries():
        if _entries()[weights]["arch"] != arch:
            raise ValueError(
                f"The checkpoint {weights!r} holds weights for {_entries()[weights]['arch']}, "
                f"not {arch}. Checkpoints for {arch}: {available}. Received: weights={weights!r}"
            )
        return weights_info(weights)
    tag = default_tag() if weights == "imagenet" else weights
    name = f"{arch}.{tag}"
    if name not in _entries():
        tags = ["imagenet", *(n.split(".", 1)[1] for n in available)]
        raise unknown_name(
            f"pretrained weights for {arch}",
            "weights",
            weights,
            [*tags, *available],
            extra=", 'hf://owner/repo[@revision]', or the path of a weights file",
        )
    return weights_info(name)


def check_compatible(entry: dict, *, arch: str, variant, shortcut, include_top, classes) -> None:
    """Refuse a checkpoint whose layout differs from the model's, before any download.

    ``variant`` is None for basic-block nets (ResNet-18/34), where it changes nothing.

    Example:
        >>> entry = weights_info("resnet50.tv_in1k")
        >>> check_compatible(entry, arch="resnet50", variant="v1.5", shortcut="B",
        ...                  include_top=True, classes=1000)
    """
    name = entry.get("name", entry["repo_id"])
    if entry["arch"] != arch:
        raise ValueError(
            f"The checkpoint {name!r} holds weights for {entry['arch']}, not {arch}. "
            f"Build {entry['arch']} instead, or pick weights from {list_weights(arch) or 'none'}."
        )
    if variant is not None and entry["variant"] != variant:
        hint = (
            "every ImageNet checkpoint on the Hub is v1.5 (torchvision's stride on the 3x3)"
            if entry["variant"] == "v1.5"
            else "this checkpoint puts the stride on the first 1x1, as the paper"
        )
        v1_hint = (
            " (keras.applications' Caffe-converted `.h5` weights load into variant='v1')"
            if variant == "v1"
            else ""
        )
        raise ValueError(
            f"The checkpoint {name!r} is variant {entry['variant']!r} ({hint}), but the model "
            f"was built with variant={variant!r}. Pass `variant={entry['variant']!r}`{v1_hint}."
        )
    if shortcut != entry.get("shortcut", "B"):
        raise ValueError(
            f"The checkpoint {name!r} was trained with shortcut {entry.get('shortcut', 'B')!r} "
            f"(projections where dimensions grow), but the model was built with "
            f"shortcut={shortcut!r}: its layers would not match. Pass "
            f"`shortcut={entry.get('shortcut', 'B')!r}` or `weights=None`."
        )
    if include_top and classes != entry["num_classes"]:
        raise ValueError(
            f"If using `weights={name!r}` with `include_top=True`, `classes` should be "
            f"{entry['num_classes']}. Received: classes={classes}"
        )


def parse_hf_url(weights: str) -> tuple[str, str | None]:
    """``"hf://owner/repo@revision"`` -> ``("owner/repo", "revision")`` (revision optional).

    Example:
        >>> parse_hf_url("hf://timm/resnet50.a1_in1k@main")
        ('timm/resnet50.a1_in1k', 'main')
    """
    match = _HF_URL.fullmatch(weights)
    if not match:
        raise ValueError(
            "The `weights` argument, as a Hub id, should be 'hf://owner/repo' or "
            f"'hf://owner/repo@revision'. Received: weights={weights!r}"
        )
    return match.group(1), match.group(2)

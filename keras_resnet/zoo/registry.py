"""The zoo's checkpoints as data: ``list_weights``, ``weights_info``, ``register_weights``.

Every checkpoint is a ``registry.json`` entry with its Hub location, pins, format, variant,
preprocessing, reported metrics, license and origin (timm's ``pretrained_cfg`` idea), read
into a typed ``Checkpoint``. ``resolve`` turns what a user passes as ``weights=``
(``"imagenet"``, a tag, a full name) into one ``Checkpoint``.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

from keras_resnet.checkpoint import FORMATS, Checkpoint
from keras_resnet.errors import unknown_name
from keras_resnet.vocabulary import check_choice

COMMIT_PATTERN = re.compile(r"[0-9a-f]{40}")
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[a-z][a-z0-9]*\.[A-Za-z0-9_\-]+")
# owner/repo, then an optional revision: a branch, tag or commit name without path separators.
_HF_URL = re.compile(r"hf://([\w.\-]+/[\w.\-]+)(?:@([\w.\-]+))?")


@functools.cache
def _shipped_json() -> dict:
    text = resources.files("keras_resnet.zoo").joinpath("registry.json").read_text()
    return json.loads(text)


@functools.cache
def _shipped() -> dict[str, Checkpoint]:
    return {
        name: Checkpoint.from_registry(name, entry)
        for name, entry in _shipped_json()["weights"].items()
    }


_USER_ENTRIES: dict[str, Checkpoint] = {}


def _entries() -> dict[str, Checkpoint]:
    return {**_shipped(), **_USER_ENTRIES}


def default_tag() -> str:
    """The tag ``weights="imagenet"`` means: torchvision's original (V1) training.

    Example:
        >>> default_tag()
        'tv_in1k'
    """
    return _shipped_json()["default_tag"]


def list_weights(arch: str | None = None) -> list[str]:
    """Names of the registered checkpoints (``"resnet50.tv_in1k"``, ...), sorted.

    Example:
        >>> list_weights("resnet50")
        ['resnet50.a1_in1k', 'resnet50.tv2_in1k', 'resnet50.tv_in1k']
    """
    names = sorted(_entries())
    if arch is not None:
        names = [n for n in names if _entries()[n].arch == str(arch).lower()]
    return names


def get(name: str) -> Checkpoint:
    """The ``Checkpoint`` called ``name`` (``"resnet50.tv_in1k"``).

    Example:
        >>> get("resnet50.tv_in1k").preprocessing.interpolation
        'bilinear'
    """
    entries = _entries()
    if name not in entries:
        raise unknown_name("checkpoint name", "name", name, sorted(entries))
    return entries[name]


def weights_info(name: str) -> dict:
    """Everything the registry knows about checkpoint ``name``, as a new dict.

    Keys: ``name``, ``arch``, ``tag``, ``repo_id``, ``filename``, ``revision``, ``sha256``
    (None when not pinned), ``pin_note``, ``format``, ``variant``, ``shortcut``,
    ``num_classes``, ``preprocessing``, ``class_names``, ``metrics`` (with ``"top1"``),
    ``license``, ``origin``, ``reference`` (``Checkpoint.to_dict``).

    Example:
        >>> info = weights_info("resnet50.tv_in1k")
        >>> info["repo_id"], info["metrics"]["top1"]
        ('timm/resnet50.tv_in1k', 76.16)
    """
    return get(name).to_dict()


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
    ``class_names``, ``metrics``, ``license``, ``origin``, ``reference``.

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
    if name in _shipped():
        raise ValueError(f"The `name` {name!r} is a shipped checkpoint; choose another name.")
    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        raise ValueError(
            f"The `repo_id` argument should be 'owner/name'. Received: repo_id={repo_id!r}"
        )
    if not isinstance(filename, str):
        raise ValueError(
            "The `filename` argument should be a file's path inside the repository "
            f"(e.g. 'model.safetensors'). Received: filename={filename!r}"
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
    allowed = {"shortcut", "num_classes", "preprocessing", "class_names", "metrics",
               "license", "origin", "reference"}  # fmt: skip
    unknown = set(metadata) - allowed
    if unknown:
        raise ValueError(
            f"register_weights() got unknown keyword arguments {sorted(unknown)}; it takes "
            f"{sorted(allowed)}"
        )
    _USER_ENTRIES[name] = Checkpoint.from_registration(
        name, repo_id=repo_id, filename=filename, revision=revision, sha256=sha256,
        format=format, variant=variant, **metadata,
    )  # fmt: skip
    return weights_info(name)


def is_pretrained_name(weights: str) -> bool:
    """Whether ``weights`` names zoo weights (as opposed to a file path or an ``hf://`` id).

    Example:
        >>> is_pretrained_name("imagenet"), is_pretrained_name("resnet50.a1_in1k")
        (True, True)
    """
    tags = {c.tag for c in _entries().values()}
    return tag_of(weights) in tags or weights in _entries()


def tag_of(weights: str) -> str:
    """The tag ``weights`` names: ``"imagenet"`` is the default tag (the one place it is
    recognised), anything else names itself.

    Example:
        >>> tag_of("imagenet"), tag_of("a1_in1k")
        ('tv_in1k', 'a1_in1k')
    """
    return default_tag() if weights == "imagenet" else weights


def resolve(weights: str, *, arch: str) -> Checkpoint:
    """The checkpoint ``weights`` (``"imagenet"``, a tag or a full name) means for model ``arch``.

    Raises a ValueError naming what was asked and what ``arch`` can take when there is no
    such checkpoint (a full name is returned as it is: ``loading.check_fits`` checks it).

    Example:
        >>> resolve("imagenet", arch="resnet101").name
        'resnet101.tv_in1k'
        >>> resolve("a1_in1k", arch="resnet18").repo_id
        'timm/resnet18.a1_in1k'
    """
    available = list_weights(arch)
    if not available:
        archs = sorted({c.arch for c in _entries().values()})
        raise ValueError(
            f"There are no pretrained weights for {arch}: the zoo holds ImageNet checkpoints "
            f"for {archs} (residual nets with shortcut B). CIFAR networks and plain networks "
            "are trained from scratch: use `weights=None`, or the path of your own weights "
            f"file. Received: weights={weights!r}"
        )
    if weights in _entries():  # a full name: whether it fits is loading.check_fits' call
        return _entries()[weights]
    name = f"{arch}.{tag_of(weights)}"
    if name not in _entries():
        tags = ["imagenet", *(n.split(".", 1)[1] for n in available)]
        raise unknown_name(
            f"pretrained weights for {arch}",
            "weights",
            weights,
            [*tags, *available],
            extra=", 'hf://owner/repo[@revision]', or the path of a weights file",
        )
    return _entries()[name]


def parse_hf_url(weights: str) -> tuple[str, str | None]:
    """``"hf://owner/repo@revision"`` -> ``("owner/repo", "revision")`` (revision optional).

    The revision is refused when it holds ``..``, a path separator or any character a git
    ref cannot hold (the client would write a ref file named after it), as is an owner or
    repo name made of dots.

    Example:
        >>> parse_hf_url("hf://timm/resnet50.a1_in1k@main")
        ('timm/resnet50.a1_in1k', 'main')
        >>> parse_hf_url("hf://timm/resnet50@../../x")
        Traceback (most recent call last):
        ...
        ValueError: The `weights` argument, as a Hub id, should be 'hf://owner/repo' or \
'hf://owner/repo@revision' (a branch, tag or commit: no '..' or path separators). \
Received: weights='hf://timm/resnet50@../../x'
    """
    match = _HF_URL.fullmatch(weights)
    parts = [*match.group(1).split("/"), match.group(2) or "-"] if match else []
    if not match or any(".." in part or part.strip(".") == "" for part in parts):
        raise ValueError(
            "The `weights` argument, as a Hub id, should be 'hf://owner/repo' or "
            "'hf://owner/repo@revision' (a branch, tag or commit: no '..' or path separators). "
            f"Received: weights={weights!r}"
        )
    return match.group(1), match.group(2)

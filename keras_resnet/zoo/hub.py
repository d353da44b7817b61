"""Download a checkpoint from the Hugging Face Hub, verify it, convert it once, cache it.

``huggingface_hub`` does the HTTP (so ``HF_HOME``, ``HF_ENDPOINT``, ``HF_TOKEN`` and
``HF_HUB_OFFLINE`` behave as everywhere else) and keeps the downloaded file in its cache;
this module checks the file's sha256 (the client only checks its size), converts it to the
zoo's Keras layout and keeps that under ``$KERAS_HOME/keras_resnet/weights``, keyed by the
source sha256 and ``CONVERTER_VERSION``. A cache hit makes no network request at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings

import numpy as np

from keras_resnet.io import atomic_write
from keras_resnet.version import __version__
from keras_resnet.vocabulary import PREPROCESSING_KEYS
from keras_resnet.zoo import convert, registry
from keras_resnet.zoo.registry import COMMIT_PATTERN, SHA256_PATTERN

_HTTP_LIBRARIES = ("httpx", "httpx2", "httpcore", "requests", "urllib3")


def cache_dir() -> str:
    """Where converted weights live: ``$KERAS_HOME/keras_resnet/weights`` (``~/.keras``).

    Example:
        >>> cache_dir().endswith(os.path.join("keras_resnet", "weights"))
        True
    """
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "keras_resnet", "weights")


def sha256_file(path: str) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(delete=False) as f:
        ...     _ = f.write(b"abc")
        >>> sha256_file(f.name)[:16]
        'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _where(entry: dict) -> str:
    return f"{entry['repo_id']}/{entry['filename']} at revision {entry.get('revision') or 'main'}"


def _ref_path(entry: dict) -> str:
    """A small file remembering the sha256 an unpinned entry resolved to."""
    revision = entry.get("revision") or "main"
    safe = f"{entry['repo_id']}--{revision}--{entry['filename']}".replace("/", "--")
    return os.path.join(cache_dir(), "refs", safe)


def _known_sha256(entry: dict) -> str | None:
    """The source sha256 without asking the Hub: the pin, or what a pinned revision gave."""
    if entry.get("sha256"):
        return entry["sha256"]
    pinned_revision = COMMIT_PATTERN.fullmatch(entry.get("revision") or "")
    if (pinned_revision or _offline()) and os.path.isfile(_ref_path(entry)):
        with open(_ref_path(entry)) as handle:
            return handle.read().strip() or None
    return None


def converted_path(sha256: str) -> str:
    """The cache file of the conversion of the source file with this sha256.

    Example:
        >>> os.path.basename(converted_path("ab" * 32))[:8]
        'abababab'
    """
    return os.path.join(cache_dir(), f"{sha256}-c{convert.CONVERTER_VERSION}.safetensors")


def _download(entry: dict, filename: str | None = None) -> str:
    """``hf_hub_download`` with clear errors; returns the local path in the HF cache."""
    from huggingface_hub import errors, hf_hub_download

    filename = filename or entry["filename"]
    what = f"{entry.get('name', entry['repo_id'])} ({_where({**entry, 'filename': filename})})"
    try:
        return hf_hub_download(
            entry["repo_id"],
            filename,
            revision=entry.get("revision") or "main",
            library_name="keras_resnet",
            library_version=__version__,
        )
    except errors.LocalEntryNotFoundError as error:
        reason = (
            "offline (HF_HUB_OFFLINE=1)"
            if _offline()
            else "the Hugging Face Hub could not be reached"
        )
        raise FileNotFoundError(
            f"Cannot get the weights {what}: {reason} and they are not in the cache. On a "
            f"connected machine run `keras-resnet weights download {entry.get('name', '')}` "
            "(with the same HF_HOME and KERAS_HOME), or pass `weights=` the path of a "
            f".safetensors file. ({type(error).__name__})"
        ) from error
    except errors.RepositoryNotFoundError as error:
        raise FileNotFoundError(
            f"The Hub has no repository {entry['repo_id']!r} (or it is private: set HF_TOKEN). "
            f"Needed for {what}."
        ) from error
    except errors.RevisionNotFoundError as error:
        raise FileNotFoundError(
            f"The repository {entry['repo_id']!r} has no revision "
            f"{entry.get('revision')!r}. Needed for {what}."
        ) from error
    except errors.RemoteEntryNotFoundError as error:
        raise FileNotFoundError(
            f"The repository {entry['repo_id']!r} has no file {filename!r} at revision "
            f"{entry.get('revision') or 'main'}. Needed for {what}."
        ) from error
    except (errors.HfHubHTTPError, OSError) as error:
        raise OSError(f"Downloading {what} failed: {error}") from error
    except Exception as error:
        # A transfer that breaks off surfaces as the HTTP library's own error, and that library
        # changes between huggingface_hub releases (requests, httpx, httpx2).
        if type(error).__module__.split(".")[0] not in _HTTP_LIBRARIES:
            raise
        raise OSError(
            f"Downloading {what} failed: the transfer broke off ({type(error).__name__}: "
            f"{error}). Nothing was cached; run it again."
        ) from error


def _hub_sha256(entry: dict, path: str) -> str:
    """The sha256 the Hub reported for the LFS object (``X-Linked-Etag``)."""
    # huggingface_hub names each cached blob by the etag the Hub sent: for LFS files that
    # is the object's sha256, so no second request is needed.
    blob = os.path.basename(os.path.realpath(path))
    if SHA256_PATTERN.fullmatch(blob):
        return blob
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(entry["repo_id"], entry["filename"], revision=entry.get("revision"))
    etag = (get_hf_file_metadata(url).etag or "").strip('"')
    if not SHA256_PATTERN.fullmatch(etag):
        raise ValueError(
            f"Cannot verify {_where(entry)}: it has no pinned sha256 and the Hub reported no "
            f"sha256 for it (etag {etag!r}). Register it with its sha256."
        )
    return etag


def _remove_download(path: str) -> None:
    blob = os.path.realpath(path)
    for item in {path, blob}:
        if os.path.lexists(item):
            os.remove(item)


def download_verified(entry: dict) -> tuple[str, str]:
    """Download ``entry``'s file (or find it in the HF cache) and check its sha256.

    Returns ``(path, sha256)``. A mismatch removes the downloaded file and raises a
    ValueError saying sha256; an entry without a pinned sha256 is checked against the
    sha256 the Hub reports for the file, with a warning that it is unpinned.

    Example:
        >>> entry = keras_resnet.weights_info("resnet50.tv_in1k")
        >>> path, sha256 = download_verified(entry)  # doctest: +SKIP
    """
    path = _download(entry)
    actual = sha256_file(path)
    expected = entry.get("sha256")
    if not expected:
        expected = _hub_sha256(entry, path)
        warnings.warn(
            f"The weights {entry.get('name', entry['repo_id'])} have no pinned sha256: checked "
            f"against the sha256 the Hub reports ({expected[:12]}...). Pin it (weights/pin.py "
            "or register_weights(sha256=...)) to be sure of what loads.",
            stacklevel=3,
        )
    if actual != expected:
        _remove_download(path)
        raise ValueError(
            f"The sha256 of the downloaded {_where(entry)} is {actual}, expected {expected}: "
            "the file is corrupt or not the pinned one. It was removed and nothing was cached."
        )
    return path, actual


def converted_weights(entry: dict) -> str:
    """The path of ``entry``'s weights in the Keras layout, downloading and converting once.

    With the source sha256 known (pinned, or remembered for a pinned revision) and the
    conversion cached, nothing touches the network.

    Example:
        >>> entry = keras_resnet.weights_info("resnet18.tv_in1k")
        >>> state = load_state(converted_weights(entry))  # doctest: +SKIP
    """
    known = _known_sha256(entry)
    if known and os.path.isfile(converted_path(known)):
        return converted_path(known)
    source, sha256 = download_verified(entry)
    target = converted_path(sha256)
    if not os.path.isfile(target):
        state = convert.read_checkpoint(source)
        metadata = {
            "source": _where(entry),
            "source_sha256": sha256,
            "converter_version": str(convert.CONVERTER_VERSION),
            "keras_resnet_version": __version__,
        }
        save_state(state, target, metadata)
    if not entry.get("sha256"):
        atomic_write(_ref_path(entry), lambda tmp: open(tmp, "w").write(sha256))  # noqa: SIM115
    return target


def save_state(state: dict[str, np.ndarray], path: str, metadata: dict | None = None) -> None:
    """Write a Keras-layout state as safetensors, atomically and reproducibly.

    ``metadata`` goes in as one JSON string under ``"keras_resnet"``: safetensors writes
    several metadata keys in a random order, so the same conversion would hash differently.

    Example:
        >>> import tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save_state({"dense/kernel": np.ones((2, 1), "float32")}, target)
        >>> sorted(load_state(target))
        ['dense/kernel']
    """
    from safetensors.numpy import save_file

    header = {"keras_resnet": json.dumps(metadata, sort_keys=True)} if metadata else None
    atomic_write(path, lambda tmp: save_file(state, tmp, metadata=header))


def load_state(path: str) -> dict[str, np.ndarray]:
    """Read a Keras-layout safetensors file (see ``save_state`` for an example)."""
    from safetensors.numpy import load_file

    return load_file(path)


def entry_from_config(config: dict, *, repo_id: str, revision: str | None) -> dict:
    """A registry-style entry for a Hub repo from its ``config.json``.

    A timm config (``architecture`` + ``pretrained_cfg``) means torchvision-layout
    ``model.safetensors``, v1.5; the zoo's own card (``"library_name": "keras_resnet"``)
    names its file, format, arch, variant and shortcut.

    Example:
        >>> entry = entry_from_config({"architecture": "resnet50", "num_classes": 1000,
        ...     "pretrained_cfg": {"interpolation": "bicubic", "crop_pct": 0.95}},
        ...     repo_id="timm/resnet50.a1_in1k", revision=None)
        >>> entry["arch"], entry["format"], entry["preprocessing"]["crop_pct"]
        ('resnet50', 'timm', 0.95)
    """
    if config.get("library_name") == "keras_resnet":
        entry = {
            "arch": config["arch"],
            "filename": config.get("filename", "model.safetensors"),
            "format": config.get("format", "keras_resnet"),
            "variant": config.get("variant", "v1.5"),
            "shortcut": config.get("shortcut", "B"),
            "num_classes": config.get("num_classes", 1000),
            "sha256": config.get("sha256"),
            "preprocessing": config.get("preprocessing", {}),
        }
    elif "architecture" in config:
        cfg = config.get("pretrained_cfg", {})
        entry = {
            "arch": config["architecture"].split(".")[0],
            "filename": "model.safetensors",
            "format": "timm",
            "variant": "v1.5",
            "shortcut": "B",
            "num_classes": config.get("num_classes", cfg.get("num_classes", 1000)),
            "sha256": None,
            "preprocessing": {k: cfg[k] for k in PREPROCESSING_KEYS if k in cfg},
        }
    else:
        raise ValueError(
            f"The config.json of hf://{repo_id} is neither a timm config (`architecture`) nor a "
            "keras_resnet model card (`library_name: keras_resnet`)."
        )
    return {
        **entry,
        "name": f"hf://{repo_id}" + (f"@{revision}" if revision else ""),
        "repo_id": repo_id,
        "revision": revision,
    }


def hf_entry(weights: str) -> dict:
    """Download ``config.json`` of an ``hf://`` repo and describe its weights as an entry.

    Example:
        >>> hf_entry("hf://timm/resnet50.a1_in1k")["format"]  # doctest: +SKIP
        'timm'
    """
    repo_id, revision = registry.parse_hf_url(weights)
    config_path = _download(
        {"repo_id": repo_id, "revision": revision, "name": weights}, "config.json"
    )
    with open(config_path) as handle:
        config = json.load(handle)
    return entry_from_config(config, repo_id=repo_id, revision=revision)

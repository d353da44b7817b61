"""Download a checkpoint's file from the Hugging Face Hub and verify its sha256.

``huggingface_hub`` does the HTTP (so ``HF_HOME``, ``HF_ENDPOINT``, ``HF_TOKEN`` and
``HF_HUB_OFFLINE`` behave as everywhere else) and keeps the downloaded file in its cache;
this module turns its errors into clear ones, checks the file's sha256 (the client only
checks its size) and reads ``hf://`` repos' config.json. ``cache.py`` converts and keeps the
result.
"""

from __future__ import annotations

import json
import os
import warnings

from keras_resnet.checkpoint import Checkpoint
from keras_resnet.io import sha256_file
from keras_resnet.network import unreachable
from keras_resnet.version import __version__
from keras_resnet.zoo import registry
from keras_resnet.zoo.registry import SHA256_PATTERN

_HTTP_LIBRARIES = ("httpx", "httpx2", "httpcore", "requests", "urllib3")


def offline() -> bool:
    """Whether the Hub client is offline (``HF_HUB_OFFLINE``, read when it was imported).

    Example:
        >>> offline()  # with HF_HUB_OFFLINE=1 set before the client started  # doctest: +SKIP
        True
    """
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def where(checkpoint: Checkpoint, filename: str | None = None) -> str:
    """``repo/file at revision R`` for messages.

    Example:
        >>> where(Checkpoint("resnet18.x", "resnet18", repo_id="me/r", filename="m.safetensors"))
        'me/r/m.safetensors at revision main'
    """
    file = filename or checkpoint.filename
    return f"{checkpoint.repo_id}/{file} at revision {checkpoint.revision or 'main'}"


def download(checkpoint: Checkpoint, filename: str | None = None) -> str:
    """``hf_hub_download`` of the checkpoint's file (or ``filename`` of its repo) with clear
    errors; returns the local path in the HF cache.

    Example:
        >>> path = download(registry.get("resnet18.tv_in1k"))  # doctest: +SKIP
        >>> path.endswith("model.safetensors")  # doctest: +SKIP
        True
    """
    from huggingface_hub import constants, errors, hf_hub_download

    filename = filename or checkpoint.filename
    what = f"{checkpoint.name} ({where(checkpoint, filename)})"
    # One connection attempt first: offline, the client would retry for half a minute.
    cut_off = None if offline() else unreachable(constants.ENDPOINT)
    try:
        return hf_hub_download(
            checkpoint.repo_id,
            filename,
            revision=checkpoint.revision or "main",
            library_name="keras_resnet",
            library_version=__version__,
            local_files_only=cut_off is not None,  # the HF cache may still hold it
        )
    except errors.LocalEntryNotFoundError as error:
        reason = (
            "offline (HF_HUB_OFFLINE=1)"
            if offline()
            else f"the Hugging Face Hub: {cut_off or 'could not be reached'}"
        )
        raise FileNotFoundError(
            f"Cannot get the weights {what}: {reason}, and they are not in the cache. On a "
            f"connected machine run `keras-resnet weights download {checkpoint.name}` "
            "(with the same HF_HOME and KERAS_HOME), or pass `weights=` the path of a "
            ".safetensors file; HF_HUB_OFFLINE=1 uses the caches without trying the network. "
            f"({type(error).__name__})"
        ) from error
    except errors.RepositoryNotFoundError as error:
        raise FileNotFoundError(
            f"The Hub has no repository {checkpoint.repo_id!r} (or it is private: set HF_TOKEN). "
            f"Needed for {what}."
        ) from error
    except errors.RevisionNotFoundError as error:
        raise FileNotFoundError(
            f"The repository {checkpoint.repo_id!r} has no revision "
            f"{checkpoint.revision!r}. Needed for {what}."
        ) from error
    except errors.RemoteEntryNotFoundError as error:
        raise FileNotFoundError(
            f"The repository {checkpoint.repo_id!r} has no file {filename!r} at revision "
            f"{checkpoint.revision or 'main'}. Needed for {what}."
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


def _hub_sha256(checkpoint: Checkpoint, path: str) -> str:
    """The sha256 the Hub reported for the LFS object (``X-Linked-Etag``)."""
    # huggingface_hub names each cached blob by the etag the Hub sent: for LFS files that
    # is the object's sha256, so no second request is needed.
    blob = os.path.basename(os.path.realpath(path))
    if SHA256_PATTERN.fullmatch(blob):
        return blob
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(checkpoint.repo_id, checkpoint.filename, revision=checkpoint.revision)
    etag = (get_hf_file_metadata(url).etag or "").strip('"')
    if not SHA256_PATTERN.fullmatch(etag):
        raise ValueError(
            f"Cannot verify {where(checkpoint)}: it has no pinned sha256 and the Hub reported no "
            f"sha256 for it (etag {etag!r}). Register it with its sha256."
        )
    return etag


def _remove_download(path: str) -> None:
    blob = os.path.realpath(path)
    for item in {path, blob}:
        if os.path.lexists(item):
            os.remove(item)


def download_verified(checkpoint: Checkpoint) -> tuple[str, str]:
    """Download the checkpoint's file (or find it in the HF cache) and check its sha256.

    Returns ``(path, sha256)``. A mismatch removes the downloaded file and raises a
    ValueError saying sha256; a checkpoint without a pinned sha256 is checked against the
    sha256 the Hub reports for the file, with a warning that it is unpinned.

    Example:
        >>> checkpoint = registry.get("resnet50.tv_in1k")
        >>> path, sha256 = download_verified(checkpoint)  # doctest: +SKIP
    """
    path = download(checkpoint)
    actual = sha256_file(path)
    expected = checkpoint.sha256
    if not expected:
        expected = _hub_sha256(checkpoint, path)
        warnings.warn(
            f"The weights {checkpoint.name} have no pinned sha256: checked "
            f"against the sha256 the Hub reports ({expected[:12]}...). Pin it (weights/pin.py "
            "or register_weights(sha256=...)) to be sure of what loads.",
            stacklevel=3,
        )
    if actual != expected:
        _remove_download(path)
        raise ValueError(
            f"The sha256 of the downloaded {where(checkpoint)} is {actual}, expected {expected}: "
            "the file is corrupt or not the pinned one. It was removed and nothing was cached."
        )
    return path, actual


def checkpoint_from_hf(weights: str) -> Checkpoint:
    """Download ``config.json`` of an ``hf://owner/repo[@revision]`` and describe its weights.

    Example:
        >>> checkpoint_from_hf("hf://timm/resnet50.a1_in1k").format  # doctest: +SKIP
        'timm'
    """
    repo_id, revision = registry.parse_hf_url(weights)
    repo = Checkpoint(weights, "unknown", repo_id=repo_id, revision=revision)  # its config
    config_path = download(repo, "config.json")
    try:
        with open(config_path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"The config.json of {weights} ({where(repo, 'config.json')}) is not valid JSON: "
            f"{error}"
        ) from error
    return Checkpoint.from_hf_config(config, repo_id=repo_id, revision=revision)

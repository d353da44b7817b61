"""The real huggingface_hub client against a loopback Hub: download, verify, convert, cache."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from fake_hub import FakeHub, HubFile
from helpers import relative_error
from reference_weights import FIXTURE, random_state
from safetensors.numpy import safe_open, save

from keras_resnet.zoo import cache, convert, registry

CLIENT = os.path.join(os.path.dirname(__file__), "scripts", "zoo_client.py")
RESNET34 = registry.weights_info("resnet34.tv_in1k")
RESNET18 = registry.weights_info("resnet18.tv_in1k")


def _torchvision_bytes(depth: int) -> bytes:
    with safe_open(FIXTURE, "np") as handle:
        shapes = json.loads(handle.metadata()[f"shapes_{depth}"])
    return save(random_state(shapes, seed=depth))


def _resnet20_repo(**faults) -> dict:
    import keras_resnet

    model = keras_resnet.ResNet20(weights=None)
    state = {k: v.numpy() for k, v in convert.model_variables(model).items()}
    card = {
        "library_name": "keras_resnet",
        "arch": "resnet20",
        "format": "keras_resnet",
        "variant": "v1.5",
        "shortcut": "A",
        "num_classes": 10,
    }
    return {
        "config.json": HubFile(json.dumps(card).encode()),
        "model.safetensors": HubFile(save(state), **faults),
    }


@pytest.fixture(scope="module")
def hub():
    server = FakeHub()
    timm_config = json.dumps({"architecture": "resnet34", "num_classes": 1000}).encode()
    server.add(
        RESNET34["repo_id"],
        RESNET34["revision"],
        {"model.safetensors": HubFile(_torchvision_bytes(34)), "config.json": HubFile(timm_config)},
    )
    # Bytes that are not the pinned file: the Hub's own etag matches them, the pin does not.
    server.add(
        RESNET18["repo_id"],
        RESNET18["revision"],
        {"model.safetensors": HubFile(_torchvision_bytes(18))},
    )
    server.add("test/resnet20", "1" * 40, _resnet20_repo())
    server.add("test/resnet20-corrupt", "2" * 40, _resnet20_repo(corrupt=True))
    server.add("test/resnet20-truncated", "3" * 40, _resnet20_repo(truncate=True))
    server.add(
        "test/resnet20-no-weights", "4" * 40, {"config.json": _resnet20_repo()["config.json"]}
    )
    server.add("test/bad-config", "5" * 40, {"config.json": HubFile(b'{"architecture": ')})
    yield server.start()
    server.stop()


def _run(cases, tmp_path, home, *, offline=False, hub=None, wait=True, backend=None):
    env = {
        **os.environ,
        **({"KERAS_BACKEND": backend} if backend else {}),
        "HF_HOME": str(home / "hf"),
        "KERAS_HOME": str(home / "keras"),
        "HF_HUB_OFFLINE": "1" if offline else "0",
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_ETAG_TIMEOUT": "5",
    }
    if hub is not None:
        env["HF_ENDPOINT"] = hub.endpoint
    out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
    out.mkdir()
    process = subprocess.Popen(
        [sys.executable, CLIENT, json.dumps(cases), str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if not wait:
        return process, out
    return _results(process, out)


def _results(process, out):
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-3000:]
    results = [json.loads(line[7:]) for line in stdout.splitlines() if line.startswith("RESULT ")]
    for index, result in enumerate(results):
        if result["ok"]:
            result["logits"] = np.load(out / f"{index}.npy", allow_pickle=False)
    return results


IMAGENET_34 = {
    "model": "resnet34",
    "weights": "imagenet",
    "seed": 34,
    "kwargs": {"input_shape": [112, 112, 3], "classifier_activation": None},
}


HF_TIMM_34 = {**IMAGENET_34, "weights": f"hf://{RESNET34['repo_id']}@{RESNET34['revision']}"}
OFFLINE_UNCACHED = {"model": "resnet18", "weights": "imagenet"}


@pytest.mark.slow
def test_the_zoo_downloads_and_converts_through_the_hub_on_jax_and_torch(hub, tmp_path):
    runs = {
        backend: _run(
            [IMAGENET_34], tmp_path, tmp_path / backend, hub=hub, wait=False, backend=backend
        )
        for backend in ("jax", "torch")
    }  # at the same time: each process mostly waits on its own start-up
    with safe_open(FIXTURE, "np") as handle:
        expected = handle.get_tensor("logits_34")
    for backend, (process, out) in runs.items():
        [result] = _results(process, out)
        assert result["ok"], (backend, result)
        assert relative_error(result["logits"], expected) < 1e-4, backend
        assert result["checkpoint"] == RESNET34


@pytest.mark.slow
def test_download_verify_convert_then_offline_with_no_requests(hub, tmp_path):
    home = tmp_path / "home"
    hub.requests.clear()
    first, timm_repo = _run([{**IMAGENET_34, "save": True}, HF_TIMM_34], tmp_path, home, hub=hub)
    assert first["ok"] and timm_repo["ok"], (first, timm_repo)
    # The name was resolved once; the model carries its checkpoint, also through a .keras file.
    assert first["resolves"] == 1 and timm_repo["resolves"] == 0
    assert first["checkpoint"] == RESNET34
    assert first["reloaded"] == first["checkpoint"] and first["reload_difference"] < 1e-4
    assert timm_repo["checkpoint"]["name"] == HF_TIMM_34["weights"]
    assert timm_repo["checkpoint"]["preprocessing"]["interpolation"] == "bilinear"
    with safe_open(FIXTURE, "np") as handle:
        expected = handle.get_tensor("logits_34")
    assert relative_error(first["logits"], expected) < 1e-4
    np.testing.assert_array_equal(timm_repo["logits"], first["logits"])  # config.json: timm
    assert any("no pinned sha256" in w for w in first["warnings"])
    assert (
        "HEAD",
        f"/{RESNET34['repo_id']}/resolve/{RESNET34['revision']}/model.safetensors",
    ) in hub.requests
    cached = os.listdir(home / "keras" / "keras_resnet" / "weights")
    assert any(name.endswith(f"-c{convert.CONVERTER_VERSION}.safetensors") for name in cached)

    # A flipped byte in the cached conversion: found by its sha256, dropped, and rebuilt
    # offline from the Hub client's cached (verified) download.
    [conversion] = [n for n in cached if n.endswith(".safetensors")]
    path = home / "keras" / "keras_resnet" / "weights" / conversion
    damaged = bytearray(path.read_bytes())
    damaged[-100] ^= 0xFF
    path.write_bytes(bytes(damaged))
    hub.requests.clear()
    second, uncached = _run([IMAGENET_34, OFFLINE_UNCACHED], tmp_path, home, hub=hub, offline=True)
    assert second["ok"], second
    np.testing.assert_array_equal(second["logits"], first["logits"])
    assert any("broken" in w and "rebuilt" in w for w in second["warnings"]), second["warnings"]
    assert path.read_bytes() != bytes(damaged)
    assert hub.requests == []
    assert uncached["type"] == "FileNotFoundError"
    for text in ("offline", "timm/resnet18.tv_in1k", "keras-resnet weights download", "weights="):
        assert text in uncached["message"]


@pytest.mark.slow
def test_bad_downloads_give_clear_errors_and_cache_nothing(hub, tmp_path):
    home = tmp_path / "home"
    names = [
        "resnet18.tv_in1k",
        "hf://test/resnet20-corrupt",
        "hf://test/resnet20-truncated",
        "hf://test/resnet20-no-weights",
        "hf://test/missing",
        "hf://test/resnet20@" + "9" * 40,
        "hf://test/bad-config",
        "hf://test/resnet20",  # the zoo's own card format, and a good download after bad ones
    ]
    cases = [
        {"model": (name.startswith("hf") and "resnet20") or "resnet18", "weights": name}
        for name in names
    ]
    *results, good = _run(cases, tmp_path, home, hub=hub)
    assert good["ok"], good
    assert not any(r["ok"] for r in results), results
    pinned, corrupt, truncated, no_file, no_repo, no_revision, bad_config = results
    assert pinned["type"] == "ValueError" and "sha256" in pinned["message"]
    assert RESNET18["sha256"] in pinned["message"]
    assert corrupt["type"] == "ValueError" and "sha256" in corrupt["message"]
    assert truncated["type"] in ("OSError", "ValueError"), truncated
    assert "resnet20-truncated" in truncated["message"]
    assert no_file["type"] == no_repo["type"] == no_revision["type"] == "FileNotFoundError"
    assert "no file 'model.safetensors'" in no_file["message"]
    assert "no repository 'test/missing'" in no_repo["message"]
    assert "no revision" in no_revision["message"]
    assert bad_config["type"] == "ValueError", bad_config
    assert "The config.json of hf://test/bad-config" in bad_config["message"]
    assert "is not valid JSON" in bad_config["message"]
    good_sha256 = hub.repos["test/resnet20"]["1" * 40]["model.safetensors"].sha256
    weights_cache = home / "keras" / "keras_resnet" / "weights"
    converted = [n for n in os.listdir(weights_cache) if n.endswith(".safetensors")]
    assert converted == [os.path.basename(cache.converted_path(good_sha256))]
    blobs = [p.name for p in (home / "hf").rglob("blobs/*") if len(p.name) == 64]
    assert blobs == [good_sha256], "a rejected download was left in the HF cache"


@pytest.mark.slow
def test_two_processes_loading_at_once_both_succeed(hub, tmp_path):
    home = tmp_path / "home"
    running = [_run([IMAGENET_34], tmp_path, home, hub=hub, wait=False) for _ in range(2)]
    first, second = (_results(*pair)[0] for pair in running)
    assert first["ok"] and second["ok"], (first, second)
    np.testing.assert_array_equal(first["logits"], second["logits"])
    leftovers = [n for n in os.listdir(home / "keras" / "keras_resnet" / "weights") if ".tmp" in n]
    assert leftovers == []

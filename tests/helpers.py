"""Helpers shared by the tests (tests import this module, never conftest or each other)."""

import json
import signal
import subprocess
import sys
import time

import keras
import numpy as np


def relative_error(actual, expected) -> float:
    """max |actual - expected| / max |expected|."""
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


def random_bn_statistics(model: keras.Model, rng) -> keras.Model:
    """Give every BatchNormalization layer of ``model`` random gamma, beta and moving
    statistics (not the identity), so inference-time rewrites are really tested."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.2, n),
                               rng.normal(0, 0.5, n), rng.uniform(0.5, 2.0, n)])  # fmt: skip
    return model


def trainable_params(model: keras.Model) -> int:
    """Parameters the paper counts: no BN moving statistics."""
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def backed_up_epochs(run_folder) -> int:
    """Epochs a run's resume state (backup/training_metadata.json) records; 0 if none yet."""
    try:
        return json.loads((run_folder / "backup" / "training_metadata.json").read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


def wait_until(process, ready, timeout: float = 300) -> None:
    """Poll ``ready()`` until it holds; fails if ``process`` ended first or time ran out."""
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None and not ready():
        time.sleep(0.1)
    assert process.poll() is None, "the run ended (or hung) before it could be stopped"


def kill_after_epochs(command: list[str], run_folder, epochs: int = 2, timeout: float = 300):
    """Start ``command``, wait until its run folder's resume state holds ``epochs`` epochs
    (its history.csv row comes first), then kill -9 it."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(process, lambda: backed_up_epochs(run_folder) >= epochs, timeout)
    process.send_signal(signal.SIGKILL)
    process.wait()


def python_output(code: str) -> list[str]:
    """Run ``code`` in a fresh Python process (fails on a non-zero exit); its stdout words."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    return result.stdout.split()


def write_hostile_images(folder) -> dict:
    """A truncated JPEG (its header and half its data: Pillow's ``verify`` passes it) and a
    45-byte PNG that declares 50000x50000 pixels (over Pillow's decompression-bomb limit)."""
    import io
    import struct
    import zlib

    from PIL import Image

    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), np.uint8)).save(buffer, "JPEG")
    truncated = folder / "truncated.jpg"
    truncated.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 50_000, 50_000, 1, 0, 0, 0, 0)
    bomb = folder / "bomb.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b""))
    return {"truncated": truncated, "bomb": bomb}

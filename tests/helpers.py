"""Helpers shared by the tests (tests import this module, never conftest or each other)."""

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


def kill_after_epochs(command: list[str], history_path, epochs: int = 2, timeout: float = 300):
    """Start ``command``, wait until its history CSV lists ``epochs`` epochs, then kill -9 it."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        if history_path.exists() and len(history_path.read_text().splitlines()) > epochs:
            break
        time.sleep(0.2)
    assert process.poll() is None, "the run ended (or hung) before it could be killed"
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

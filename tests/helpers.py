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


def start_interruptible(command: list[str], **popen) -> subprocess.Popen:
    """Start ``command`` so that SIGINT reaches it as Ctrl-C: a shell without job control
    starts background jobs (a suite run with ``&``) with SIGINT ignored, and Python keeps an
    ignored SIGINT, so the child gets the default disposition back."""
    default = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)  # noqa: E731
    return subprocess.Popen(command, preexec_fn=default, **popen)


def signal_when(stops, timeout: float = 300) -> None:
    """Watch several runs at once: ``stops`` holds ``(process, ready, signal)`` triples; each
    process gets its signal as soon as its ``ready()`` holds. Fails if one ends first or time
    runs out (the runs are polled together, so a slow one never hides a fast one's moment)."""
    pending = list(stops)
    deadline = time.time() + timeout
    while pending and time.time() < deadline:
        for stop in list(pending):
            process, ready, sent = stop
            assert process.poll() is None, "a run ended (or hung) before it could be stopped"
            if ready():
                process.send_signal(sent)
                pending.remove(stop)
        time.sleep(0.05)
    assert not pending, f"{len(pending)} run(s) never reached the point to stop them"


def kill_after_epochs(command: list[str], run_folder, epochs: int = 2, timeout: float = 300):
    """Start ``command``, wait until its run folder's resume state holds ``epochs`` epochs
    (its history.csv row comes first), then kill -9 it."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    signal_when([(process, lambda: backed_up_epochs(run_folder) >= epochs, signal.SIGKILL)],
                timeout)  # fmt: skip
    process.wait()


#: Distributions hidden from ``python_without_tensorflow``.
TENSORFLOW_PACKAGES = ("tensorflow", "tensorboard", "tf_keras")


def python_without_tensorflow(code: str, folder, *, timeout: float = 600, env=None):
    """Run ``code`` in a Python that cannot find TensorFlow, as where it is not installed:
    the same packages (links in ``folder``) less ``TENSORFLOW_PACKAGES``, no site hooks;
    its stdout words (fails on a non-zero exit, with the end of its stderr). With ``env``
    (the whole environment, PYTHONPATH aside): its stdout words and its stderr."""
    import os
    import site

    import keras_resnet

    packages = folder / "site-packages"
    roots = site.getsitepackages()
    if not packages.exists():
        packages.mkdir(parents=True)
        for root in roots:
            for entry in os.listdir(root):
                hidden = entry.lower().startswith(TENSORFLOW_PACKAGES)
                if not hidden and not (packages / entry).exists():
                    (packages / entry).symlink_to(os.path.join(root, entry))
    path = [str(packages)]
    source = os.path.dirname(os.path.dirname(os.path.abspath(keras_resnet.__file__)))
    if source not in roots:  # an editable install: its .pth hook is skipped by -S
        path.append(source)
    given = env
    env = {**(os.environ if given is None else given), "PYTHONPATH": os.pathsep.join(path)}
    result = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True,
                            text=True, timeout=timeout, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split() if given is None else (result.stdout.split(), result.stderr)


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


def child_peak_rss(setup: str, action: str, *, timeout: float = 300) -> tuple[int, str]:
    """Run ``setup`` then ``action`` in a fresh Python process; how many MB ``action`` raised
    its peak resident memory above the peak after ``setup`` (imports cost hundreds of MB), and
    what it wrote to stderr (an exception ends it as one line there)."""
    script = (
        "import resource, sys\n"
        f"{setup}\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        + "".join(f"    {line}\n" for line in action.splitlines())
        + "except Exception as error:\n"
        "    sys.stderr.write(f'{type(error).__name__}: {error}\\n')\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print((after - before) // 1024)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                            text=True, timeout=timeout, check=True)  # fmt: skip
    return int(result.stdout.split()[-1]), result.stderr


def write_idx(path, array, compress: bool = False) -> None:
    """``array`` as a uint8 IDX file (gzipped when ``compress``)."""
    import gzip

    import numpy as np

    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(header + np.asarray(array).astype(np.uint8).tobytes())


#: Set by ``make test``: the Python of a venv where only ``pip install -e ".[jax]"`` was run.
JAX_ONLY_PYTHON = "KERAS_RESNET_JAX_PYTHON"


def python_with_only_jax(code: str, folder, *, timeout: float = 600):
    """Run ``code`` on the JAX backend in the Python ``make test`` installed only ``.[jax]``
    into (``$KERAS_RESNET_JAX_PYTHON``), after checking that neither TensorFlow nor PyTorch
    is there; without it, in ``python_without_tensorflow``'s. Its stdout words and stderr.
    """
    import os

    env = {**os.environ, "KERAS_BACKEND": "jax"}
    python = os.environ.get(JAX_ONLY_PYTHON)
    if not python:
        return python_without_tensorflow(code, folder, timeout=timeout, env=env)
    probe = (
        "import importlib.util as u; print([m for m in ('tensorflow', 'torch') if u.find_spec(m)])"
    )
    found = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]", f"{python} is not a JAX-only Python: {found.stdout}"
    result = subprocess.run([python, "-c", code], capture_output=True, text=True,
                            timeout=timeout, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split(), result.stderr

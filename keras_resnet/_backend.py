"""Keras' backend where TensorFlow is not installed: Keras defaults to TensorFlow and fails
with a 30-line "No module named 'tensorflow'" traceback, though ``pip install ".[jax]"`` (or
``.[torch]``) installed a backend that works. Before Keras starts, a process that did not
choose (no ``KERAS_BACKEND``, and ``~/.keras/keras.json`` naming none or the TensorFlow it
lacks) gets the installed one, JAX before PyTorch, and is told so once on stderr.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys

#: The backends tried, in order, where TensorFlow is not installed.
FALLBACK_BACKENDS = ("jax", "torch")


def _configured_backend() -> str | None:
    """The backend ``keras.json`` names (Keras writes "tensorflow" there on first start)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json")) as handle:
            backend = json.load(handle).get("backend")
    except (OSError, ValueError, AttributeError):
        return None
    return backend if isinstance(backend, str) else None


def choose_backend() -> str | None:
    """Set ``KERAS_BACKEND`` to the installed JAX or PyTorch where TensorFlow is missing and
    nothing chose a backend; returns the backend set (None: nothing was changed).

    Example:
        >>> choose_backend() is None  # Keras runs already, or a backend was chosen
        True
    """
    if "keras" in sys.modules or os.environ.get("KERAS_BACKEND"):
        return None
    if _configured_backend() not in (None, "tensorflow"):
        return None
    if importlib.util.find_spec("tensorflow") is not None:
        return None
    for backend in FALLBACK_BACKENDS:
        if importlib.util.find_spec(backend) is not None:
            os.environ["KERAS_BACKEND"] = backend
            print(
                f"keras_resnet: TensorFlow is not installed; using Keras' {backend} backend "
                "(set KERAS_BACKEND to choose another).",
                file=sys.stderr,
            )
            return backend
    return None

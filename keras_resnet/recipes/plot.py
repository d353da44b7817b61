"""The error curves of the paper's Fig. 6: training and test error against iterations."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt


def plot_error_curves(history: dict[str, list[float]], path: str, *, title: str = "") -> str:
    """Write a PNG of training (dashed) and test (bold) error in percent against iterations.

    ``history`` holds the columns of ``history.csv``: ``iterations``, ``accuracy`` and
    ``val_accuracy``. Returns ``path``.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "error.png")
        >>> h = {"iterations": [10, 20], "accuracy": [0.5, 0.7], "val_accuracy": [0.6, 0.65]}
        >>> plot_error_curves(h, path) == path and os.path.getsize(path) > 0
        True
    """
    figure, axis = plt.subplots(figsize=(6, 4), dpi=100)
    iterations = history.get("iterations", [])
    if "accuracy" in history:
        axis.plot(
            iterations, [100 * (1 - a) for a in history["accuracy"]], "--", label="train error"
        )
    if "val_accuracy" in history:
        axis.plot(
            iterations,
            [100 * (1 - a) for a in history["val_accuracy"]],
            "-",
            lw=2,
            label="test error",
        )
    axis.set_xlabel("iterations")
    axis.set_ylabel("error (%)")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path

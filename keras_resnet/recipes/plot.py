"""The error curves of the paper's Fig. 6: training and test error against iterations.

Drawn with matplotlib's object-oriented ``Figure`` API: importing this module never switches
matplotlib's global backend (a notebook's inline plots keep working).
"""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.figure import Figure

_FAMILY_TITLES = {"plain": "plain", "resnet": "ResNet"}


def _error_percent(accuracies: list[float]) -> list[float]:
    return [100 * (1 - a) for a in accuracies]


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
    figure = Figure(figsize=(6, 4), dpi=100)
    axis = figure.subplots()
    iterations = history.get("iterations", [])
    if "accuracy" in history:
        axis.plot(iterations, _error_percent(history["accuracy"]), "--", label="train error")
    if "val_accuracy" in history:
        axis.plot(
            iterations, _error_percent(history["val_accuracy"]), "-", lw=2, label="test error"
        )
    axis.set_xlabel("iterations")
    axis.set_ylabel("error (%)")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    return path


def plot_depth_study(
    histories: Mapping[str, Mapping[int, dict[str, list[float]]]], path: str, *, title: str = ""
) -> str:
    """Write the paper's Fig. 6 as a PNG: one panel per family, one colour per depth, thin
    dashed training error and bold test error (%) against iterations.

    ``histories`` maps family ("plain", "resnet") to depth to the columns of that net's
    ``history.csv``. Returns ``path``.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "fig6.png")
        >>> h = {"iterations": [10, 20], "accuracy": [0.5, 0.7], "val_accuracy": [0.6, 0.65]}
        >>> plot_depth_study({"plain": {20: h}, "resnet": {20: h}}, path) == path
        True
    """
    families = list(histories)
    figure = Figure(figsize=(5.5 * max(1, len(families)), 4.2), dpi=100)
    axes = figure.subplots(1, max(1, len(families)), squeeze=False, sharey=True)[0]
    depths = sorted({d for by_depth in histories.values() for d in by_depth})
    colours = {d: f"C{i % 10}" for i, d in enumerate(depths)}
    for axis, family in zip(axes, families, strict=False):
        for depth in sorted(histories[family]):
            history = histories[family][depth]
            iterations = history.get("iterations", [])
            label = f"{_FAMILY_TITLES.get(family, family)}-{depth}"
            if "accuracy" in history:
                axis.plot(
                    iterations, _error_percent(history["accuracy"]), "--", lw=0.9,
                    color=colours[depth],
                )  # fmt: skip
            if "val_accuracy" in history:
                axis.plot(
                    iterations, _error_percent(history["val_accuracy"]), "-", lw=2.2,
                    color=colours[depth], label=label,
                )  # fmt: skip
        axis.set_title(_FAMILY_TITLES.get(family, family))
        axis.set_xlabel("iterations")
        axis.grid(alpha=0.3)
        axis.legend(title="bold: test, dashed: train", fontsize=8, title_fontsize=8)
    axes[0].set_ylabel("error (%)")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path)
    return path


def plot_confusion(confusion, class_names, path: str, *, title: str = "") -> str:
    """Write a PNG of a confusion matrix (rows: true class, columns: predicted), each cell
    the share of its row in percent. Returns ``path``.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "confusion.png")
        >>> plot_confusion([[3, 1], [0, 4]], ["a", "b"], path) == path
        True
    """
    import numpy as np

    counts = np.asarray(confusion, dtype=float)
    shares = 100 * counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.5 * len(class_names) + 2)
    figure = Figure(figsize=(size, size), dpi=100)
    axis = figure.subplots()
    axis.imshow(shares, cmap="Blues", vmin=0, vmax=100)
    ticks = range(len(class_names))
    axis.set_xticks(ticks, class_names, rotation=90)
    axis.set_yticks(ticks, class_names)
    if len(class_names) <= 20:  # numbers stay readable
        for (row, column), share in np.ndenumerate(shares):
            colour = "white" if share > 50 else "black"
            axis.text(column, row, f"{share:.0f}", ha="center", va="center", color=colour)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    axis.set_title(title)
    figure.tight_layout()
    figure.savefig(path)
    return path

"""``study``: the paper's depth experiment (Fig. 6, Table 6): plain and residual nets of
several depths trained with one recipe, and whether the data support the paper's claims.

A study folder holds one sub-folder per net (``plain20/``, ``resnet56/``, each a resumable
``recipes.train`` output), ``study.json`` (its settings), and the outputs made from whatever
nets have finished: ``results.csv``, ``fig6.png``, ``table.md`` and ``summary.json``.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import platform
import subprocess
import time
from collections.abc import Callable, Sequence

import keras

from keras_resnet import data, models
from keras_resnet.io import read_json, write_json_atomic, write_text_atomic
from keras_resnet.lock import LOCK_FILE, directory_lock
from keras_resnet.recipes.callbacks import history_columns
from keras_resnet.recipes.depth_claims import summarize
from keras_resnet.recipes.in_memory import default_pipeline
from keras_resnet.recipes.plot import plot_depth_study
from keras_resnet.recipes.registry import FAMILIES, check_nets, family_recipe
from keras_resnet.recipes.run_claim import is_finished
from keras_resnet.recipes.run_folder import METRICS
from keras_resnet.recipes.run_options import RunOptions
from keras_resnet.recipes.training import train
from keras_resnet.vocabulary import check_positive

SETTINGS_FILE = "study.json"
RESULT_COLUMNS = (
    "family", "depth", "parameters", "flops", "final_train_error", "final_test_error",
    "best_test_error", "epochs", "iterations", "wall_minutes", "images_per_second",
    "dtype_policy", "machine", "commit",
)  # fmt: skip
# Settings that must match to extend a study folder (families and depths may grow).
_RUN_SETTING_KEYS = (
    "epochs", "seed", "mixed_precision", "steps", "steps_per_epoch", "validation_steps",
    "batch_size",
)  # fmt: skip
_SETTING_KEYS = ("dataset", *_RUN_SETTING_KEYS)


@dataclasses.dataclass(frozen=True)
class StudyResult:
    """What ``study`` returns: one row per finished net, the claims, the output folder.

    Example:
        >>> StudyResult(rows=[], summary={"claims": []}, output_dir="d").output_dir
        'd'
    """

    rows: list[dict]
    summary: dict
    output_dir: str


def machine_description() -> str:
    """The CPU model and core count, for results tables.

    Example:
        >>> "cores" in machine_description()
        True
    """
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def source_commit() -> str:
    """The git commit the code runs from: ``$KERAS_RESNET_COMMIT``, else ``git rev-parse
    HEAD`` in the working directory (a run from a checkout), else ``"unknown"``.

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {"KERAS_RESNET_COMMIT": "deeb576"}):
        ...     source_commit()
        'deeb576'
    """
    if os.environ.get("KERAS_RESNET_COMMIT"):
        return os.environ["KERAS_RESNET_COMMIT"]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _claim_folder(output_dir: str, settings: dict, nets: list[tuple[str, int]]) -> dict:
    """Create the study folder, or check that it holds a study with the same settings."""
    path = os.path.join(output_dir, SETTINGS_FILE)
    if os.path.isfile(path):
        stored = read_json(path)
        stored.setdefault("pipeline", "tfdata")  # studies from before the choice used tf.data
        settings = {**settings, "pipeline": settings["pipeline"] or stored["pipeline"]}
        keys = (*_SETTING_KEYS, "pipeline")
        differ = {k: stored.get(k) for k in keys if stored.get(k) != settings[k]}
        if differ:
            theirs = ", ".join(f"{k}={v!r}" for k, v in differ.items())
            ours = ", ".join(f"{k}={settings[k]!r}" for k in differ)
            raise ValueError(
                f"The `output_dir` {output_dir!r} holds a study with other settings ({theirs}); "
                f"it can be extended with more depths or families only with the same settings. "
                f"Received: {ours}. Choose another output_dir."
            )
    elif os.path.isdir(output_dir) and set(os.listdir(output_dir)) - {LOCK_FILE}:
        raise ValueError(
            f"The `output_dir` {output_dir!r} is not empty and holds no {SETTINGS_FILE}: it is "
            "not a study folder. Choose a new or empty output_dir."
        )
    else:
        settings["pipeline"] = settings["pipeline"] or default_pipeline(settings["dataset"])
        stored = {**settings, "nets": [], "commit": source_commit(),
                  "created": datetime.datetime.now().isoformat(timespec="seconds")}  # fmt: skip
    names = [f"{f}{d}" for f, d in nets]
    stored["nets"] = list(dict.fromkeys([*stored.get("nets", []), *names]))
    os.makedirs(output_dir, exist_ok=True)
    write_json_atomic(path, stored)
    return stored


def _format_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 90 * 60 else f"{seconds / 3600:.1f} h"


class StudyProgress(keras.callbacks.Callback):
    """Prints which net trains, each epoch's errors and the time left for the net and the
    whole study (the remaining nets estimated from their FLOPs and this net's speed).

    Example:
        >>> lines = []
        >>> p = StudyProgress("plain8", 1, 2, epochs=3, cost=1.0, remaining_cost=2.0,
        ...                   log=lines.append)
        >>> p.on_epoch_begin(0); p.on_epoch_end(0, {"accuracy": 0.9, "val_accuracy": 0.8})
        >>> lines[0].startswith("study 1/2 plain8: epoch 1/3")
        True
    """

    def __init__(self, name, index, count, *, epochs, cost, remaining_cost, log=print):
        super().__init__()
        self.prefix = f"study {index}/{count} {name}"
        self.epochs, self.cost, self.remaining_cost, self.log = (
            epochs, cost, remaining_cost, log,
        )  # fmt: skip
        self._seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self._seconds.append(time.perf_counter() - self._start)
        per_epoch = sum(self._seconds) / len(self._seconds)
        left = per_epoch * (self.epochs - epoch - 1)
        study_left = left + per_epoch * self.epochs * self.remaining_cost / self.cost
        errors = ", ".join(
            f"{label} error {100 * (1 - logs[key]):.2f}%"
            for key, label in (("accuracy", "training"), ("val_accuracy", "test"))
            if key in logs
        )
        self.log(
            f"{self.prefix}: epoch {epoch + 1}/{self.epochs} in "
            f"{_format_duration(self._seconds[-1])}"
            f" ({errors}); ETA: this net {_format_duration(left)}, "
            f"study {_format_duration(study_left)}"
        )


def _net_row(
    output_dir: str, family: str, depth: int, shape, classes: int, settings: dict
) -> dict | None:
    """The results row of a finished net (None while its metrics.json is missing)."""
    folder = os.path.join(output_dir, f"{family}{depth}")
    if not is_finished(folder):
        return None
    metrics = read_json(os.path.join(folder, METRICS))
    history = history_columns(os.path.join(folder, "history.csv"))
    model = models.get_model(f"{family}{depth}", input_shape=shape, classes=classes)
    seconds = metrics.get("training_seconds") or metrics["wall_seconds"]
    return {
        "family": family,
        "depth": depth,
        "parameters": sum(int(keras.ops.size(w)) for w in model.trainable_weights),
        "flops": models.count_flops(model),
        "final_train_error": 1 - history["accuracy"][-1],
        "final_test_error": metrics["test_error"],
        "best_test_error": 1 - max(history["val_accuracy"]),
        "epochs": metrics["epochs"],
        "iterations": metrics["iterations"],
        "wall_minutes": seconds / 60,
        "images_per_second": metrics["images_per_second"],
        "dtype_policy": metrics["dtype_policy"],
        "machine": settings.get("machine") or machine_description(),
        "commit": settings.get("commit", "unknown"),
    }


def _write_results_csv(path: str, rows: list[dict]) -> None:
    lines = [",".join(RESULT_COLUMNS)]
    for row in rows:
        values = []
        for column in RESULT_COLUMNS:
            value = row[column]
            value = f"{value:.6g}" if isinstance(value, float) else str(value)
            values.append(f'"{value}"' if "," in value else value)
        lines.append(",".join(values))
    write_text_atomic(path, "\n".join(lines) + "\n")


def _table(rows: list[dict], settings: dict) -> str:
    length = f"{settings['epochs']} epochs" if settings["epochs"] else f"{settings['steps']} steps"
    title = f"{settings['dataset']}, {length} per net"
    lines = [
        f"# Depth study: {title} (Table 6 style)",
        "",
        "| net | # layers | # params | training error (%) | test error (%) | best test error (%) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in sorted(rows, key=lambda r: (r["family"] != "plain", r["depth"])):
        lines.append(
            f"| {'ResNet' if row['family'] == 'resnet' else 'plain'} | {row['depth']} | "
            f"{row['parameters'] / 1e6:.3f}M | {100 * row['final_train_error']:.2f} | "
            f"{100 * row['final_test_error']:.2f} | {100 * row['best_test_error']:.2f} |"
        )
    lines += ["", "Training error: the running average over the last epoch on augmented data."]
    return "\n".join(lines) + "\n"


def write_outputs(output_dir: str) -> StudyResult:
    """(Re)write ``results.csv``, ``fig6.png``, ``table.md`` and ``summary.json`` of the
    study in ``output_dir`` from the nets that have finished (curves of unfinished nets are
    drawn as far as they got).

    Example:
        >>> write_outputs("runs/study")  # doctest: +SKIP
    """
    settings = read_json(os.path.join(output_dir, SETTINGS_FILE))
    nets = [_split_name(n) for n in settings["nets"]]
    classes, channels = _classes_and_channels(settings["dataset"], settings.get("data_dir"))
    rows, histories = [], {}
    for family, depth in nets:
        row = _net_row(output_dir, family, depth, (32, 32, channels), classes, settings)
        if row is not None:
            rows.append(row)
        history = history_columns(os.path.join(output_dir, f"{family}{depth}", "history.csv"))
        if history:
            histories.setdefault(family, {})[depth] = history
    families = [f for f in FAMILIES if any(f == n[0] for n in nets)]
    summary = summarize(rows, families, [d for _, d in nets])
    summary["settings"] = {k: settings.get(k) for k in (*_SETTING_KEYS, "pipeline", "commit")}
    _write_results_csv(os.path.join(output_dir, "results.csv"), rows)
    write_text_atomic(os.path.join(output_dir, "table.md"), _table(rows, settings))
    write_json_atomic(os.path.join(output_dir, "summary.json"), summary)
    if histories:
        plot_depth_study(
            {f: histories[f] for f in families if f in histories},
            os.path.join(output_dir, "fig6.png"),
            title=f"{settings['dataset']}: training (dashed) and test (bold) error",
        )
    return StudyResult(rows=rows, summary=summary, output_dir=output_dir)


def _classes_and_channels(dataset: str, data_dir: str | None) -> tuple[int, int]:
    """A dataset's classes and image channels: from the catalog where known (no reading),
    else from its prepared TFDS dataset."""
    known = data.KNOWN_DATASETS.get(dataset)
    if known is not None:
        return known.classes, known.channels
    info = data.info(dataset, data_dir, download=False)
    return info["classes"], info["image_shape"][-1]


def _split_name(name: str) -> tuple[str, int]:
    family = next(f for f in FAMILIES if name.startswith(f))
    return family, int(name[len(family) :])


def _progress(output_dir: str, nets: list, index: int, costs: dict, *, epochs: int,
              log: Callable[[str], None]) -> StudyProgress:  # fmt: skip
    """The progress callback of the ``index``-th net (from 1), its ETA counting the cost of
    the nets after it that have not finished."""
    net = nets[index - 1]
    unfinished = [
        n for n in nets[index:]
        if not is_finished(os.path.join(output_dir, f"{n[0]}{n[1]}"))
    ]  # fmt: skip
    return StudyProgress(
        f"{net[0]}{net[1]}", index, len(nets), epochs=epochs, cost=costs[net],
        remaining_cost=sum(costs[n] for n in unfinished), log=log,
    )  # fmt: skip


def study(
    families: Sequence[str] = FAMILIES,
    depths: Sequence[int] = (20, 56),
    dataset: str = "fashion_mnist",
    epochs: int = 10,
    *,
    output_dir: str,
    seed: int = 0,
    mixed_precision: str | None = None,
    steps: int | None = None,
    steps_per_epoch: int | None = None,
    validation_steps: int | None = None,
    batch_size: int | None = None,
    data_dir: str | None = None,
    pipeline: str | None = None,
    steps_per_execution: int = 1,
    verbose="auto",
    log: Callable[[str], None] = print,
) -> StudyResult:
    """Train the plain and residual nets of ``depths`` with one recipe (Fig. 6, Table 6).

    Each net trains with ``recipes.train`` in ``output_dir/<family><depth>/`` using the
    family's recipe for ``dataset`` at that depth (``family_recipe``), its schedule
    compressed to ``epochs`` epochs (LR / 10 at 50% and 75%). A net whose ``metrics.json``
    exists is skipped; an unfinished one resumes from its last epoch, so running the same
    call again after a stop continues where it stopped. The folder may be extended with more
    depths or families under the same settings; other settings are refused. After each net,
    ``results.csv``, ``fig6.png``, ``table.md`` and ``summary.json`` are rewritten.

    Args:
        families: Some of ``("plain", "resnet")``.
        depths: CIFAR depths 6n+2 (8, 20, 26, 56, ...).
        dataset: A dataset with ``<dataset>_<family>20`` recipes (fashion_mnist, cifar10).
        epochs: Epochs per net (of the recipe's ``steps_per_epoch``, one pass by default).
        output_dir: The study folder.
        seed: Seeds weights, data order and augmentation (the same for every net).
        mixed_precision: None (float32, as the recipes ship) or a Keras dtype policy.
        steps, steps_per_epoch, validation_steps, batch_size: As in ``recipes.train``, for
            quick checks (``steps`` replaces ``epochs``).
        data_dir: TFDS data directory.
        pipeline: As in ``recipes.train``, for every net; a study keeps the pipeline it
            started with (None: that one, or for a new study memory where the dataset fits;
            a study from before the choice used tf.data).
        steps_per_execution: As in ``recipes.train``.
        verbose: Passed to ``fit``.
        log: Where progress lines go.

    Example:
        >>> result = study(["plain", "resnet"], [8], epochs=1, output_dir="runs/s",
        ...                steps=4, steps_per_epoch=2, validation_steps=1)  # doctest: +SKIP
        >>> [row["depth"] for row in result.rows]  # doctest: +SKIP
        [8, 8]
    """
    nets = check_nets(families, depths)
    check_positive("epochs", epochs, allow_none=steps is not None)
    options = RunOptions(
        steps=steps, epochs=None if steps else epochs, steps_per_epoch=steps_per_epoch,
        validation_steps=validation_steps, batch_size=batch_size, seed=seed,
        mixed_precision=mixed_precision, pipeline=pipeline,
        steps_per_execution=steps_per_execution, data_dir=data_dir,
    )  # fmt: skip
    recipes_by_net = {net: family_recipe(dataset, *net) for net in nets}
    channels = _classes_and_channels(dataset, data_dir)[1]
    settings = {"dataset": dataset, **{key: getattr(options, key) for key in _RUN_SETTING_KEYS},
                "pipeline": pipeline}  # fmt: skip
    # One study per folder; each net's run also locks its own subfolder.
    with directory_lock(output_dir, purpose="a depth study"):
        stored = _claim_folder(output_dir, settings, nets)
        if stored.get("commit") != source_commit():
            log(f"study: note: the folder was started at commit {stored.get('commit')}, this code "
                f"runs at {source_commit()}")  # fmt: skip
        stored["machine"] = stored.get("machine") or machine_description()
        stored["data_dir"] = data_dir
        write_json_atomic(os.path.join(output_dir, SETTINGS_FILE), stored)

        shape = (32, 32, channels)
        costs = {
            net: models.count_flops(models.get_model(f"{net[0]}{net[1]}", input_shape=shape))
            for net in nets
        }
        keras.utils.clear_session()
        for index, net in enumerate(nets, start=1):
            name, folder = f"{net[0]}{net[1]}", os.path.join(output_dir, f"{net[0]}{net[1]}")
            if is_finished(folder):
                log(f"study {index}/{len(nets)} {name}: finished earlier (metrics.json), skipped")
                continue
            recipe = recipes_by_net[net]
            log(f"study {index}/{len(nets)} {name}: training {recipe.name} in {folder}")
            per_epoch = steps_per_epoch or recipe.steps_per_epoch
            epoch_count = steps // min(per_epoch, steps) if steps else epochs
            progress = _progress(output_dir, nets, index, costs, epochs=epoch_count, log=log)
            run_options = dataclasses.replace(options, pipeline=stored["pipeline"])
            result = train(recipe, output_dir=folder, compress_schedule=True,
                           callbacks=[progress], verbose=verbose,
                           **dataclasses.asdict(run_options))  # fmt: skip
            log(
                f"study {index}/{len(nets)} {name}: test error "
                f"{100 * result.metrics['test_error']:.2f}% after "
                f"{result.metrics['iterations']} iterations"
            )
            del result
            keras.utils.clear_session()
            write_outputs(output_dir)
        return write_outputs(output_dir)

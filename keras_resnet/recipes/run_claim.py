"""One run per output folder, the same for ``train``, ``study`` and ``fine_tune``: a folder the
package did not write is refused, the folder's lock is held, its ``recipe.json`` (the run's
settings) must match the call's, a finished run is returned as stored (``overwrite`` starts
it again), and every run gets the same callbacks: its ``history.csv`` row, ``last.keras`` and
``best.keras`` written before its resume state (``backup/``).

Example:
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with claim(folder, {"name": "demo"}, purpose="a demo run") as run:
    ...     run.held, run.finished
    (False, None)
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import shutil

import keras

from keras_resnet.io import read_json, write_text_atomic
from keras_resnet.lock import directory_lock
from keras_resnet.recipes.callbacks import (
    AtomicModelCheckpoint,
    ResumableCSVLogger,
    history_columns,
)
from keras_resnet.recipes.run_folder import (
    METRICS,
    RUN_FILES,
    RUN_FOLDERS,
    DamagedRunFileError,
    check_not_foreign,
)

#: The file that holds a run's settings (a recipe's, or a fine-tuning run's).
SETTINGS_FILE = "recipe.json"
#: What every finished run's metrics.json holds (what the CLI reads).
FINISHED_METRICS = ("recipe", "iterations", "epochs")


@dataclasses.dataclass
class Claim:
    """A claimed run folder: whether it holds a run of these settings (``held``) and, when
    that run finished, its ``metrics.json`` (``finished``)."""

    output_dir: str
    settings: dict
    held: bool
    finished: dict | None
    chief: bool = True

    def begin(self) -> None:
        """Called once the new run's model is built (bad weights fail before any write): a
        finished run's outputs are removed (``overwrite``), and the settings written."""
        if self.finished is not None:
            remove_outputs(self.output_dir)
        if self.chief and (self.finished is not None or not self.held):
            text = json.dumps(self.settings, indent=2, sort_keys=True)
            write_text_atomic(os.path.join(self.output_dir, SETTINGS_FILE), text)


@contextlib.contextmanager
def claim(output_dir: str, settings: dict, *, purpose: str, chief: bool = True,
          required: tuple[str, ...] = FINISHED_METRICS):  # fmt: skip
    """Hold ``output_dir`` for one run of ``settings`` (a JSON-ready dict with a ``name``):
    a foreign folder is refused, then the lock taken (a second run stops here, before
    writing anything), then a run of other settings refused; a finished run's metrics.json
    must hold ``required``.

    Example:
        >>> with claim("/tmp/run", {"name": "demo"}, purpose="a demo") as run:  # doctest: +SKIP
        ...     run.begin()
    """
    if chief:
        check_not_foreign(output_dir)  # before the lock file is made there
    lock = directory_lock(output_dir, purpose=purpose) if chief else None
    with lock or contextlib.nullcontext():
        held = holds_run_of(output_dir, settings)
        finished = finished_metrics(output_dir, required) if held else None
        yield Claim(output_dir, settings, held, finished, chief)


def holds_run_of(output_dir: str, settings: dict) -> bool:
    """Whether ``output_dir`` holds a run of ``settings`` (its ``recipe.json``); a run of
    other settings is refused in one line.

    Example:
        >>> holds_run_of("/nonexistent", {"name": "demo"})
        False
    """
    path = os.path.join(output_dir, SETTINGS_FILE)
    if not os.path.isfile(path):
        return False
    previous = read_json(path)
    if previous != settings:
        name = previous.get("name") if isinstance(previous, dict) else None
        raise ValueError(
            f"The `output_dir` {output_dir!r} holds a run of {name!r} with other settings "
            f"than this run of {settings.get('name')!r} ({path!r}); choose another output_dir "
            "or delete it."
        )
    return True


def is_finished(output_dir: str) -> bool:
    """Whether ``output_dir`` holds a finished run: its ``metrics.json``, the last file a run
    writes (its resume state goes only after it).

    Example:
        >>> is_finished("/nonexistent")
        False
    """
    return os.path.isfile(os.path.join(output_dir, METRICS))


def finished_metrics(output_dir: str, required: tuple[str, ...] = FINISHED_METRICS) -> dict | None:
    """The ``metrics.json`` of the finished run in ``output_dir``, or None; one that lacks
    what a finished run records (``required``) is refused as damaged.

    Example:
        >>> finished_metrics("/nonexistent") is None
        True
    """
    if not is_finished(output_dir):
        return None
    path = os.path.join(output_dir, METRICS)
    metrics = read_json(path)
    missing = [k for k in required if not isinstance(metrics, dict) or k not in metrics]
    if missing:
        raise DamagedRunFileError(path, f"it lacks {', '.join(missing)}")
    return metrics


def remove_outputs(output_dir: str) -> None:
    """Remove what a run writes (``RUN_FILES``, ``RUN_FOLDERS``) and nothing else.

    Example:
        >>> remove_outputs("/nonexistent")
    """
    for name in RUN_FILES:
        path = os.path.join(output_dir, name)
        if os.path.isfile(path):
            os.remove(path)
    for name in RUN_FOLDERS:
        shutil.rmtree(os.path.join(output_dir, name), ignore_errors=True)


def run_callbacks(work_dir: str, output_dir: str | None, network: keras.Model, *,
                  backup: str = "backup", monitor: str = "val_accuracy") -> list:  # fmt: skip
    """A run's NaN stop, its outputs (``output_dir``'s, the chief's: ``network`` is the model
    saved) and, last, its resumption in ``work_dir/backup``: an epoch's row and models are
    written before its resume state, so a kill between the two trains that epoch again (its
    row is then replaced) and never leaves it out.

    Example:
        >>> net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> [type(c).__name__ for c in run_callbacks("/tmp/w", None, net)]
        ['TerminateOnNaN', 'BackupAndRestore']
    """
    callbacks = [keras.callbacks.TerminateOnNaN()]
    if output_dir is not None:
        history = history_columns(os.path.join(output_dir, "history.csv"))  # of earlier runs
        callbacks += [
            ResumableCSVLogger(os.path.join(output_dir, "history.csv")),
            AtomicModelCheckpoint(os.path.join(output_dir, "last.keras"), target=network),
            AtomicModelCheckpoint(
                os.path.join(output_dir, "best.keras"),
                target=network,
                monitor=monitor,
                initial_value_threshold=max(history.get(monitor, []), default=None),
            ),
        ]
        if importlib.util.find_spec("tensorflow") is not None:  # it writes through tf.summary
            callbacks.append(keras.callbacks.TensorBoard(os.path.join(output_dir, "logs")))
    # The run removes its backup once metrics.json is written (Keras would at fit's end).
    state = keras.callbacks.BackupAndRestore(
        os.path.join(work_dir, backup), double_checkpoint=True, delete_checkpoint=False
    )
    return [*callbacks, state]

"""Callbacks a resumable run needs that Keras does not ship as such."""

from __future__ import annotations

import csv
import os
import time

import keras

from keras_resnet.io import atomic_write
from keras_resnet.vocabulary import check_choice


class ResumableCSVLogger(keras.callbacks.CSVLogger):
    """``keras.callbacks.CSVLogger`` that keeps one row per epoch across restarts.

    A run killed after writing epoch ``k``'s row but before its backup was saved repeats
    epoch ``k`` when resumed; this logger drops rows of epochs that are about to be run
    again, so the file lists every epoch once. Each row also carries the iteration count and
    learning rate at the end of the epoch, for plotting against iterations as in Fig. 6, and
    the epoch's wall time in seconds (``epoch_seconds``: training plus validation), so the
    time of a run that was stopped and resumed adds up.

    Example:
        >>> logger = ResumableCSVLogger("history.csv")
        >>> logger.append  # the rows of earlier runs stay (those repeated are dropped)
        True
    """

    def __init__(self, filename: str):
        super().__init__(filename, append=True)
        self._trimmed = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        if not self._trimmed:
            self._trimmed = True
            self._drop_rows_from(epoch)

    def _drop_rows_from(self, epoch: int) -> None:
        if not os.path.isfile(self.filename):
            return
        with open(self.filename, newline="") as f:
            rows = list(csv.reader(f))
        if not rows:
            return
        kept = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) < epoch]
        if len(kept) != len(rows):
            if self.csv_file is not None and not self.csv_file.closed:
                self.csv_file.close()

            def write(tmp: str) -> None:
                with open(tmp, "w", newline="") as f:
                    csv.writer(f).writerows(kept)

            atomic_write(self.filename, write)
            self.csv_file = open(self.filename, "a", newline="")  # noqa: SIM115
        self.append_header = False

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        optimizer = self.model.optimizer
        logs["iterations"] = int(optimizer.iterations.numpy())
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        logs["epoch_seconds"] = time.perf_counter() - self._epoch_start
        if self.keys is None:  # Keras adds val_ columns of "NA" to a run that validates not
            self.keys = sorted(logs)
        super().on_epoch_end(epoch, logs)


class AtomicModelCheckpoint(keras.callbacks.Callback):
    """Save the model at the end of each epoch (or when ``monitor`` improves) through a
    temporary file renamed over ``filepath``: a kill while saving never leaves a broken or
    0-byte model file (``keras.callbacks.ModelCheckpoint`` writes in place).

    ``best`` starts at ``initial_value_threshold``: a resumed run passes the best value its
    history holds, so a worse epoch after a restart does not replace the best model.
    ``target``: the model to save, where it is not the one trained (a network inside the
    model that trains it).

    Example:
        >>> AtomicModelCheckpoint("best.keras", monitor="val_accuracy").best
        -inf
    """

    def __init__(self, filepath: str, monitor: str | None = None, *, mode: str = "max",
                 initial_value_threshold: float | None = None,
                 target: keras.Model | None = None):  # fmt: skip
        super().__init__()
        self.target = target
        check_choice("mode", mode, ("max", "min"))
        self.filepath, self.monitor, self.mode = filepath, monitor, mode
        worst = float("-inf") if mode == "max" else float("inf")
        self.best = worst if initial_value_threshold is None else initial_value_threshold

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor is not None:
            value = (logs or {}).get(self.monitor)
            if value is None:
                return
            better = value > self.best if self.mode == "max" else value < self.best
            if not better:
                return
            self.best = float(value)
        try:
            model = self.target or self.model
            atomic_write(self.filepath, lambda tmp: model.save(tmp))
        except OSError as error:  # a full disk, a folder in the way: name the file
            raise OSError(f"Cannot save the model to {self.filepath!r}: {error}") from error


class Throughput(keras.callbacks.Callback):
    """Training images/s over this process's batches, leaving out the first (tracing) one.

    Example:
        >>> Throughput(batch_size=128).images_per_second
        0.0
    """

    def __init__(self, batch_size: int):
        super().__init__()
        self.batch_size, self.seconds, self.batches = batch_size, 0.0, 0
        self._start, self._seen_first = None, False

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self._seen_first:
            self.seconds += time.perf_counter() - self._start
            self.batches += getattr(self.model, "steps_per_execution", 1)  # steps per call
        self._seen_first = True

    @property
    def images_per_second(self) -> float:
        return self.batches * self.batch_size / self.seconds if self.seconds else 0.0


def history_columns(path: str) -> dict[str, list[float]]:
    """Columns of a history CSV as lists of floats, read leniently for plots and tables:
    blank cells are left out and nothing is checked (``run_folder.checked_history_rows`` is
    the strict reader a resumed run trusts).

    Example:
        >>> history_columns("/nonexistent.csv")
        {}
    """
    if not os.path.isfile(path):
        return {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {
        key: [float(row[key]) for row in rows if row.get(key) not in (None, "")]
        for key in (rows[0] if rows else {})
    }

"""A run folder checked before training: the package writes only into a new or empty folder
or one of its own runs, and resumes only from files that are whole and agree with each other.

A run folder holds ``recipe.json`` (written first), ``history.csv`` (a row per finished
epoch, written before the epoch's resume state), ``backup/`` (Keras' ``BackupAndRestore``:
``latest.weights.h5`` and ``training_metadata.json``, and the previous epoch's copies ending
in ``.bkp``), the models, ``logs/``, ``error.png`` and ``metrics.json``. Every refusal here is
a ``ValueError`` naming the file and what to do, raised before anything is written.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import os
import shutil
import warnings

from keras_resnet.io import write_text_atomic
from keras_resnet.lock import LOCK_FILE
from keras_resnet.vocabulary import PIPELINES

#: The last file a run writes: a folder that holds it holds a finished run.
METRICS = "metrics.json"
#: What a run writes into its folder (the lock file aside).
RUN_FILES = ("recipe.json", "history.csv", "last.keras", "best.keras", "error.png", METRICS,
             "split.json", "confusion.png")  # fmt: skip
#: Each phase's resume state: a fine-tuning run's second phase has its own (another optimizer).
PHASE_BACKUPS = {"head": "backup", "whole": "backup_whole"}
RUN_FOLDERS = ("logs", *PHASE_BACKUPS.values())
WEIGHTS = "latest.weights.h5"
METADATA = "training_metadata.json"
PREVIOUS = ".bkp"  # the suffix BackupAndRestore(double_checkpoint=True) gives the copies
#: Where a Keras 3 weights file keeps its optimizer's iteration count (under the model that
#: was compiled: the network, or the in-memory pipeline's model around it).
ITERATIONS = "optimizer/vars/0"
#: In backup/: the pipeline the run was started with (its backups fit that pipeline's model).
PIPELINE = "pipeline.txt"


def check_not_foreign(output_dir: str) -> None:
    """Refuse an existing, non-empty ``output_dir`` that holds no run of this package (no
    ``recipe.json``), and a run file or folder there that is a symbolic link: a run would
    write into (or, for ``backup/``, delete) what it did not create.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> check_not_foreign(folder)  # empty: fine
        >>> _ = open(os.path.join(folder, "notes.txt"), "w").close()
        >>> check_not_foreign(folder)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The `output_dir` '...' is not empty and holds no keras_resnet run ...
    """
    if not isinstance(output_dir, str | os.PathLike) or not os.path.isdir(output_dir):
        return  # a new folder (or not a path: directory_lock refuses it by name)
    entries = sorted(set(os.listdir(output_dir)) - {LOCK_FILE})
    if entries and "recipe.json" not in entries:
        shown = ", ".join(entries[:4]) + (", ..." if len(entries) > 4 else "")
        raise ValueError(
            f"The `output_dir` {output_dir!r} is not empty and holds no keras_resnet run "
            f"(no recipe.json; it holds {shown}). A run writes only into a new or empty "
            "folder or one of its own runs: choose another output_dir."
        )
    for name in (*RUN_FILES, *RUN_FOLDERS):
        if os.path.islink(os.path.join(output_dir, name)):
            raise ValueError(
                f"The run file {os.path.join(output_dir, name)!r} is a symbolic link: a run "
                "writes its own files, never through a link. Replace the link with a copy "
                "of what it points to, or choose another output_dir."
            )


class DamagedRunFileError(ValueError):
    """A run file that cannot be trusted: the one-line refusal, with its ``path`` and ``why``."""

    def __init__(self, path: str, why: str):
        if os.path.basename(os.path.dirname(path)) == "backup":  # the resume state
            fix = f"Remove {os.path.dirname(path)!r} and the history.csv beside it"
        else:
            fix = "Restore it, or remove it and the backup/ folder beside it,"
        super().__init__(
            f"The run file {path!r} is damaged: {why}. {fix} to start the run again (or "
            "choose another output_dir)."
        )
        self.path, self.why = path, why


def checked_history_rows(path: str) -> list[dict[str, float]]:
    """The rows of a run's ``history.csv`` (none if there is no file), checked whole (what a
    resumed run trusts; ``callbacks.history_columns`` reads leniently for plots): a
    header that starts with ``epoch`` and names ``loss``, every row as long as the header and
    all numbers, epochs 0, 1, 2, ... with none missing, the last line ended.

    Example:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "history.csv")
        >>> _ = open(path, "w").write("epoch,loss\\n0,2.5\\n1,1.5\\n")
        >>> [row["loss"] for row in checked_history_rows(path)]
        [2.5, 1.5]
        >>> _ = open(path, "w").write("epoch,loss\\n0,2.5\\n2,1.5\\n")
        >>> try:
        ...     checked_history_rows(path)
        ... except ValueError as error:  # a DamagedRunFileError
        ...     print(error)  # doctest: +ELLIPSIS
        The run file '...' is damaged: line 3 is epoch 2, not 1 (an epoch is missing)...
    """
    if not os.path.lexists(path):
        return []
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        raise DamagedRunFileError(path, "it is not text") from None
    lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        return []
    header = lines[0]
    if header[:1] != ["epoch"] or "loss" not in header:
        shown = ",".join(header)[:80]
        raise DamagedRunFileError(path, f"its header {shown!r} is not a run's (epoch,...,loss)")
    if not text.endswith("\n"):
        raise DamagedRunFileError(path, f"its last line (line {len(lines)}) is cut off")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if len(line) != len(header):
            raise DamagedRunFileError(
                path, f"line {number} has {len(line)} fields, its header {len(header)}"
            )
        try:
            row = {key: float(value) for key, value in zip(header, line, strict=True)}
        except ValueError:
            raise DamagedRunFileError(
                path, f"line {number} holds a value that is not a number"
            ) from None
        if row["epoch"] != number - 2:
            raise DamagedRunFileError(
                path, f"line {number} is epoch {line[0]}, not {number - 2} (an epoch is missing)"
            )
        rows.append(row)
    return rows


def _metadata_epoch(path: str, weights: str) -> int:
    """The finished epochs a ``training_metadata.json`` (or its ``.bkp``) records."""
    try:
        with open(path) as handle:
            epoch = json.load(handle)["epoch"]
    except FileNotFoundError:
        raise DamagedRunFileError(
            weights, f"it has no {os.path.basename(path)} beside it"
        ) from None
    except (OSError, ValueError, KeyError, TypeError):
        raise DamagedRunFileError(path, 'it is not {"epoch": N, ...}') from None
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise DamagedRunFileError(path, f"its epoch is {epoch!r}, not a count of epochs")
    return epoch


def _stored_iterations(path: str) -> int | None:
    """The optimizer's iteration count that a weights file holds (None where it holds no
    optimizer), the file read whole first: a damaged file is refused here, not half-way
    through Keras' ``load_weights``."""
    import h5py

    counters = []

    def read(name, item):
        if isinstance(item, h5py.Dataset):
            value = item[()]
            if f"/{name}".endswith(f"/{ITERATIONS}") and item.shape == ():
                counters.append((name.count("/"), int(value)))

    try:
        with h5py.File(path, "r") as handle:
            handle.visititems(read)
        return min(counters)[1] if counters else None  # the outermost model's optimizer
    except Exception as error:  # h5py raises OSError, KeyError, RuntimeError, ValueError...
        raise DamagedRunFileError(
            path, f"it cannot be read as HDF5 ({type(error).__name__})"
        ) from None


def _pair_epoch(weights: str, metadata: str, history: list[dict] | None) -> int:
    """The finished epochs of one weights file and its metadata, checked against each other
    and ``history`` (``history.csv``'s rows; None: not checked)."""
    if not os.path.lexists(weights):
        raise DamagedRunFileError(weights, "it is missing")
    iterations = _stored_iterations(weights)
    epoch = _metadata_epoch(metadata, weights)
    if history is None:
        return epoch
    if len(history) < epoch:
        why = f"it records {epoch} finished epochs, but the history.csv beside backup/ lists"
        raise DamagedRunFileError(metadata, f"{why} {len(history)}")
    expected = history[epoch - 1].get("iterations") if epoch else 0
    if None not in (iterations, expected) and iterations != expected:
        raise DamagedRunFileError(
            weights,
            f"its optimizer has trained {iterations} iterations, but {metadata!r} records "
            f"epoch {epoch}, which history.csv ends at iteration {expected:g}",
        )
    return epoch


def resume_state(backup_dir: str, history: list[dict] | None = None) -> tuple[int, str | None]:
    """The finished epochs a run resumes after, and the weights file it resumes from (None:
    a fresh start): ``latest.weights.h5`` when it reads whole and agrees with its metadata
    and ``history`` (the run's ``history.csv`` rows, when given), else its previous copy
    (``.bkp``) when that one does, with a warning naming both (the epoch after the copy is
    trained again, from the data stream's position at that epoch). Refused in one line when
    neither does.

    Example:
        >>> resume_state("/nonexistent/backup")
        (0, None)
    """
    latest = os.path.join(backup_dir, WEIGHTS)
    metadata = os.path.join(backup_dir, METADATA)
    if not os.path.lexists(latest):
        if os.path.lexists(metadata):
            raise DamagedRunFileError(metadata, f"there is no {WEIGHTS} beside it")
        return 0, None
    try:
        return _pair_epoch(latest, metadata, history), latest
    except DamagedRunFileError as latest_error:
        previous = latest + PREVIOUS
        try:
            epoch = _pair_epoch(previous, metadata + PREVIOUS, history)
        except DamagedRunFileError:
            why = f"{latest_error.why}, and there is no intact .bkp copy"
            raise DamagedRunFileError(latest_error.path, why) from None
        reason = latest_error.why
    warnings.warn(
        f"The resume state {latest!r} cannot be used ({reason}); resuming from its previous "
        f"copy {previous!r} (after epoch {epoch}): epoch {epoch + 1} is trained again, from "
        "the same data position, so a seeded run still matches an uninterrupted one.",
        stacklevel=3,
    )
    return epoch, previous


def _put_in_place(backup_dir: str) -> None:
    """Copy the ``.bkp`` weights and metadata over the latest ones, each atomically: Keras'
    ``BackupAndRestore`` loads only the latest."""
    for name in (WEIGHTS, METADATA):
        target = os.path.join(backup_dir, name)
        partial = target + ".partial"
        shutil.copyfile(target + PREVIOUS, partial)
        os.replace(partial, target)


@dataclasses.dataclass
class RunFolder:
    """A run folder's resume decisions: the pipeline its resume state belongs to (read once),
    whether a run may resume there with another, how many epochs it resumes after, whether
    the state fits the model; ``backup`` names the phase's resume state (``PHASE_BACKUPS``).

    Example:
        >>> folder = RunFolder("/nonexistent/run")
        >>> folder.recorded_pipeline is None, folder.resume_epochs(num_epochs=4, steps_per_epoch=10)
        (True, 0)
    """

    path: str
    backup: str = "backup"

    @property
    def backup_dir(self) -> str:
        return os.path.join(self.path, self.backup)

    @functools.cached_property
    def recorded_pipeline(self) -> str | None:
        """The pipeline whose resume state the folder holds: what ``record_pipeline`` wrote,
        ``"tfdata"`` for a state from before there was a choice, None without one (or for a
        ``path`` that is no path: the run's claim refuses it by name). A file that names no
        pipeline is refused in one line."""
        if not isinstance(self.path, str | os.PathLike):
            return None
        path = os.path.join(self.backup_dir, PIPELINE)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as f:
                recorded = f.read(64).decode("utf-8", "replace").strip()
            if recorded not in PIPELINES:
                raise DamagedRunFileError(
                    path, f"it holds {recorded[:20]!r}, not one of {', '.join(PIPELINES)}"
                )
            return recorded
        return "tfdata" if os.path.isfile(os.path.join(self.backup_dir, METADATA)) else None

    def check_pipeline(self, pipeline: str) -> None:
        """Refuse to resume the folder's state with another ``pipeline`` than the one it was
        started with (its weights fit another model), before any dataset is decoded."""
        recorded = self.recorded_pipeline
        weights = os.path.join(self.backup_dir, WEIGHTS)
        if recorded not in (None, pipeline) and os.path.lexists(weights):
            raise ValueError(
                f"The run in {self.path!r} was started with pipeline={recorded!r} "
                f"({os.path.join(self.backup_dir, PIPELINE)!r}); resume it with that "
                f"pipeline (--pipeline {recorded}), or choose another output_dir."
            )

    def record_pipeline(self, pipeline: str) -> None:
        """Write which pipeline the run's resume state belongs to (before its first backup)."""
        os.makedirs(self.backup_dir, exist_ok=True)
        write_text_atomic(os.path.join(self.backup_dir, PIPELINE), pipeline + "\n")
        self.__dict__["recorded_pipeline"] = pipeline

    def resume_epochs(self, num_epochs: int, steps_per_epoch: int) -> int:
        """Check the folder's history and resume state against each other and against this
        run's plan; returns the finished epochs the run resumes after. Where the latest state
        cannot be used and its ``.bkp`` copy can (``resume_state``), the copy is put in its
        place.

        Refused: a damaged ``history.csv``; a resume state that cannot be read, whose weights
        and metadata disagree (the optimizer's iterations against the epoch and history.csv),
        that claims more epochs than the history lists or than the run has, or whose epochs
        were another length.
        """
        rows = checked_history_rows(os.path.join(self.path, "history.csv"))
        done, weights = resume_state(self.backup_dir, rows)
        if done > num_epochs:
            raise DamagedRunFileError(
                os.path.join(self.backup_dir, METADATA),
                f"it records {done} finished epochs; this run has {num_epochs}",
            )
        iterations = rows[done - 1].get("iterations") if done else None
        if iterations is not None and iterations != done * steps_per_epoch:
            raise ValueError(
                f"The run in {self.path!r} has epochs of {iterations / done:g} iterations "
                f"(history.csv), not {steps_per_epoch}: resume it with the --steps-per-epoch "
                "it started with, or choose another output_dir."
            )
        if weights is not None and weights.endswith(PREVIOUS):
            _put_in_place(self.backup_dir)
        return done

    def check_state_fits(self, model) -> None:
        """Load the folder's resume state into ``model`` as Keras' ``BackupAndRestore`` will,
        and refuse in one line a state whose weights do not fit it (another pipeline's model,
        or another network's), instead of Keras' list of every layer it could not load."""
        path = os.path.join(self.backup_dir, WEIGHTS)
        if not os.path.isfile(path):
            return
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # Keras warns of each variable before it gives up
            try:
                model.load_weights(path)
            except ValueError as error:
                first = str(error).strip().splitlines()[0][:120]
                why = (f"its weights do not fit the model of this run (pipeline="
                       f"{self.recorded_pipeline!r}; Keras: {first})")  # fmt: skip
                raise DamagedRunFileError(path, why) from None
        # An optimizer of other variables is only warned of, and its state left out: the run
        # would resume with a fresh optimizer and its iteration count at 0.
        skipped = [str(w.message) for w in caught if "Skipping variable loading for optimizer"
                   in str(w.message)]  # fmt: skip
        if skipped:
            why = "its optimizer state does not fit the optimizer of this run"
            raise DamagedRunFileError(path, f"{why} (Keras: {skipped[0].strip()[:160]})")

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
import io
import json
import os
import warnings

from keras_resnet.io import write_text_atomic
from keras_resnet.lock import LOCK_FILE

#: What a run writes into its folder (the lock file aside).
RUN_FILES = ("recipe.json", "history.csv", "last.keras", "best.keras", "error.png", "metrics.json")
RUN_FOLDERS = ("logs", "backup")
WEIGHTS = "latest.weights.h5"
METADATA = "training_metadata.json"
PREVIOUS = ".bkp"  # the suffix BackupAndRestore(double_checkpoint=True) gives the copies
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


def _damaged(path: str, why: str) -> ValueError:
    """The one-line refusal of a run file; what to do depends on where it is."""
    if os.path.basename(os.path.dirname(path)) == "backup":  # the resume state
        fix = f"Remove {os.path.dirname(path)!r} and the history.csv beside it"
    else:
        fix = "Restore it, or remove it and the backup/ folder beside it,"
    return ValueError(
        f"The run file {path!r} is damaged: {why}. {fix} to start the run again (or choose "
        "another output_dir)."
    )


def read_run_history(path: str) -> list[dict[str, float]]:
    """The rows of a run's ``history.csv`` (none if there is no file), checked whole: a
    header that starts with ``epoch`` and names ``loss``, every row as long as the header and
    all numbers, epochs 0, 1, 2, ... with none missing, the last line ended.

    Example:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "history.csv")
        >>> _ = open(path, "w").write("epoch,loss\\n0,2.5\\n1,1.5\\n")
        >>> [row["loss"] for row in read_run_history(path)]
        [2.5, 1.5]
        >>> _ = open(path, "w").write("epoch,loss\\n0,2.5\\n2,1.5\\n")
        >>> read_run_history(path)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The run file '...' is damaged: line 3 is epoch 2, not 1 (an epoch is missing)...
    """
    if not os.path.lexists(path):
        return []
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        raise _damaged(path, "it is not text") from None
    lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        return []
    header = lines[0]
    if header[:1] != ["epoch"] or "loss" not in header:
        shown = ",".join(header)[:80]
        raise _damaged(path, f"its header {shown!r} is not a run's (epoch,...,loss)")
    if not text.endswith("\n"):
        raise _damaged(path, f"its last line (line {len(lines)}) is cut off")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if len(line) != len(header):
            raise _damaged(path, f"line {number} has {len(line)} fields, its header {len(header)}")
        try:
            row = {key: float(value) for key, value in zip(header, line, strict=True)}
        except ValueError:
            raise _damaged(path, f"line {number} holds a value that is not a number") from None
        if row["epoch"] != number - 2:
            raise _damaged(
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
        raise _damaged(weights, f"it has no {os.path.basename(path)} beside it") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise _damaged(path, 'it is not {"epoch": N, ...}') from None
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise _damaged(path, f"its epoch is {epoch!r}, not a count of epochs")
    return epoch


def _opens_as_hdf5(path: str) -> bool:
    import h5py

    try:
        with h5py.File(path, "r"):
            return True
    except OSError:
        return False


def resume_state(backup_dir: str) -> tuple[int, str | None]:
    """The finished epochs a run resumes after, and the weights file it resumes from (None:
    a fresh start), as Keras' ``BackupAndRestore`` will choose them: ``latest.weights.h5``,
    or its previous copy where the latest cannot be read (with a warning naming both: the
    epoch after the copy is trained again, from the data stream's position at that epoch).

    Example:
        >>> resume_state("/nonexistent/backup")
        (0, None)
    """
    latest = os.path.join(backup_dir, WEIGHTS)
    metadata = os.path.join(backup_dir, METADATA)
    if not os.path.lexists(latest):
        if os.path.lexists(metadata):
            raise _damaged(metadata, f"there is no {WEIGHTS} beside it")
        return 0, None
    if _opens_as_hdf5(latest):
        return _metadata_epoch(metadata, latest), latest
    previous = latest + PREVIOUS
    if not _opens_as_hdf5(previous):
        raise _damaged(latest, "it is not a readable HDF5 file and there is no intact .bkp copy")
    epoch = _metadata_epoch(metadata + PREVIOUS, previous)
    warnings.warn(
        f"The resume state {latest!r} cannot be read; resuming from its previous copy "
        f"{previous!r} (after epoch {epoch}): epoch {epoch + 1} is trained again, from the "
        "same data position, so a seeded run still matches an uninterrupted one.",
        stacklevel=3,
    )
    return epoch, previous


def recorded_pipeline(backup_dir: str) -> str | None:
    """The pipeline whose resume state ``backup_dir`` holds: what ``record_pipeline`` wrote,
    ``"tfdata"`` for a state from before there was a choice, None without one.

    Example:
        >>> recorded_pipeline("/nonexistent/backup") is None
        True
    """
    path = os.path.join(backup_dir, PIPELINE)
    if os.path.isfile(path) and not os.path.islink(path):
        with open(path) as f:
            return f.read().strip()
    return "tfdata" if os.path.isfile(os.path.join(backup_dir, METADATA)) else None


def record_pipeline(backup_dir: str, pipeline: str) -> None:
    """Write which pipeline a run's resume state belongs to (before its first backup).

    Example:
        >>> import tempfile
        >>> backup = os.path.join(tempfile.mkdtemp(), "backup")
        >>> record_pipeline(backup, "memory")
        >>> recorded_pipeline(backup)
        'memory'
    """
    os.makedirs(backup_dir, exist_ok=True)
    write_text_atomic(os.path.join(backup_dir, PIPELINE), pipeline + "\n")


def check_resume(output_dir: str, num_epochs: int, steps_per_epoch: int,
                 pipeline: str = "tfdata") -> int:  # fmt: skip
    """Check a run folder's history and resume state against each other and against this
    run's plan; returns the finished epochs the run resumes after.

    Refused: a damaged ``history.csv``, a resume state that cannot be read, that claims more
    epochs than the history lists or than the run has, whose epochs were another length, or
    that another ``pipeline`` wrote (its weights fit another model).

    Example:
        >>> check_resume("/nonexistent/run", num_epochs=4, steps_per_epoch=10)
        0
    """
    history_path = os.path.join(output_dir, "history.csv")
    rows = read_run_history(history_path)
    done, _ = resume_state(os.path.join(output_dir, "backup"))
    metadata = os.path.join(output_dir, "backup", METADATA)
    recorded = recorded_pipeline(os.path.join(output_dir, "backup"))
    if done and recorded != pipeline:
        raise ValueError(
            f"The run in {output_dir!r} was started with pipeline={recorded!r} "
            f"({os.path.join(output_dir, 'backup', PIPELINE)!r}); resume it with that "
            f"pipeline (--pipeline {recorded}), or choose another output_dir."
        )
    if done > num_epochs:
        raise _damaged(metadata, f"it records {done} finished epochs; this run has {num_epochs}")
    if len(rows) < done:
        raise _damaged(
            metadata,
            f"it records {done} finished epochs, but {history_path!r} lists {len(rows)}",
        )
    iterations = rows[done - 1].get("iterations") if done else None
    if iterations is not None and iterations != done * steps_per_epoch:
        raise ValueError(
            f"The run in {output_dir!r} has epochs of {iterations / done:g} iterations "
            f"(history.csv), not {steps_per_epoch}: resume it with the --steps-per-epoch "
            "it started with, or choose another output_dir."
        )
    return done

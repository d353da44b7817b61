"""A class-per-folder image tree split into training and held-out files: stratified per class,
seeded, and recorded (which file went where), so a resumed run and a later evaluation hold out
the same images. Pure Python and NumPy: no Keras, no TensorFlow.

Example:
    >>> import tempfile
    >>> from PIL import Image
    >>> root = tempfile.mkdtemp()
    >>> for name in ("cats", "dogs"):
    ...     os.makedirs(os.path.join(root, name))
    ...     for i in range(5):
    ...         Image.new("RGB", (4, 4)).save(os.path.join(root, name, f"{i}.png"))
    >>> split = split_folder(root, validation_split=0.2, seed=0)
    >>> split.counts()
    {'cats': (4, 1), 'dogs': (4, 1)}
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from keras_resnet.data.images import list_images, readable_files
from keras_resnet.io import write_json_atomic

#: The file a run folder records its split in.
SPLIT_FILE = "split.json"


@dataclasses.dataclass(frozen=True)
class FolderSplit:
    """Which files of ``root`` train and which are held out, as (path relative to ``root``,
    label) pairs, with the settings that made the split.

    Example:
        >>> split = FolderSplit("/photos", ("cats",), (("cats/a.png", 0),), (), 0.0, 0)
        >>> split.counts()
        {'cats': (1, 0)}
    """

    root: str
    class_names: tuple[str, ...]
    train: tuple[tuple[str, int], ...]
    validation: tuple[tuple[str, int], ...]
    validation_split: float
    seed: int

    def counts(self) -> dict[str, tuple[int, int]]:
        """Images per class: (training, held out)."""
        count = lambda pairs, label: sum(1 for _, y in pairs if y == label)  # noqa: E731
        return {
            name: (count(self.train, label), count(self.validation, label))
            for label, name in enumerate(self.class_names)
        }

    def files(self, subset: str) -> tuple[list[str], list[int]]:
        """The absolute paths and labels of ``subset`` ("training" or "validation")."""
        pairs = {"training": self.train, "validation": self.validation}[subset]
        return [os.path.join(self.root, path) for path, _ in pairs], [y for _, y in pairs]

    def to_json(self) -> dict:
        return {
            "root": self.root,
            "class_names": list(self.class_names),
            "validation_split": self.validation_split,
            "seed": self.seed,
            "train": [list(pair) for pair in self.train],
            "validation": [list(pair) for pair in self.validation],
        }


def check_validation_split(validation_split) -> float:
    """A fraction of each class to hold out: at least 0, below 1.

    Example:
        >>> check_validation_split(1.5)
        Traceback (most recent call last):
        ...
        ValueError: The `validation_split` argument should be a number from 0 up to (not \
including) 1. Received: validation_split=1.5
    """
    valid = isinstance(validation_split, int | float) and not isinstance(validation_split, bool)
    if not valid or not 0 <= validation_split < 1:
        raise ValueError(
            "The `validation_split` argument should be a number from 0 up to (not including) "
            f"1. Received: validation_split={validation_split!r}"
        )
    return float(validation_split)


def split_folder(images_dir: str, *, validation_split: float = 0.2, seed: int = 0,
                 caller: str = "split_folder") -> FolderSplit:  # fmt: skip
    """Split the images of ``images_dir`` (one sub-folder per class) that Pillow can decode
    in full (the others are skipped and named in one warning, ``caller`` saying who skipped
    them) per class: ``round(n *
    validation_split)`` of a class's ``n`` images held out (at least one when
    ``validation_split`` is above 0), chosen by a permutation seeded with ``seed`` and the
    class's name. A class with too few images to keep one for training and hold one out is
    refused in one line.

    Example:
        >>> split_folder("/nonexistent")
        Traceback (most recent call last):
        ...
        FileNotFoundError: The `path` argument should be a directory. Received: path='/nonexistent'
    """
    validation_split = check_validation_split(validation_split)
    files, labels, class_names = list_images(images_dir)
    files, labels = readable_files(files, labels, images_dir, caller=caller)
    root = os.path.abspath(images_dir)
    train, validation = [], []
    for label, name in enumerate(class_names):
        members = sorted(
            os.path.relpath(f, images_dir) for f, y in zip(files, labels, strict=True) if y == label
        )
        held = max(1, round(len(members) * validation_split)) if validation_split else 0
        if len(members) - held < 1:
            raise ValueError(
                f"The class {name!r} ({os.path.join(root, name)!r}) has {len(members)} "
                f"image(s); validation_split={validation_split:g} needs at least {held + 1} "
                "per class (one or more to hold out, one to train on)."
            )
        rng = np.random.default_rng([seed, *name.encode("utf-8")])
        order = rng.permutation(len(members))
        validation += [(members[i], label) for i in sorted(order[:held])]
        train += [(members[i], label) for i in sorted(order[held:])]
    return FolderSplit(root, tuple(class_names), tuple(train), tuple(validation),
                       validation_split, seed)  # fmt: skip


def record_split(split: FolderSplit, output_dir: str) -> str:
    """Write ``split`` to ``output_dir/split.json`` (atomically); returns the path.

    Example:
        >>> import tempfile
        >>> split = FolderSplit("/photos", ("cats",), (("cats/a.png", 0),), (), 0.0, 0)
        >>> path = record_split(split, tempfile.mkdtemp())
        >>> recorded_split(os.path.dirname(path)) == split
        True
    """
    return write_json_atomic(os.path.join(output_dir, SPLIT_FILE), split.to_json())


def recorded_split(output_dir: str) -> FolderSplit | None:
    """The split a run folder recorded (None without one), checked whole: a file that is not
    a split is refused in one line naming it.

    Example:
        >>> recorded_split("/nonexistent") is None
        True
    """
    path = os.path.join(output_dir, SPLIT_FILE)
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
        names = tuple(str(n) for n in raw["class_names"])
        pairs = lambda key: tuple((str(p), int(y)) for p, y in raw[key])  # noqa: E731
        split = FolderSplit(str(raw["root"]), names, pairs("train"), pairs("validation"),
                            float(raw["validation_split"]), int(raw["seed"]))  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"The run file {path!r} is damaged: it is not a recorded split ({error!r}). "
            "Remove the run folder to start again, or choose another output_dir."
        ) from None
    if any(not 0 <= y < len(names) for _, y in (*split.train, *split.validation)):
        raise ValueError(f"The run file {path!r} is damaged: a label is outside its classes.")
    return split


def same_split(recorded: FolderSplit, images_dir: str, validation_split: float, seed: int) -> None:
    """Refuse to resume a run whose recorded split came from another folder or other
    settings, or whose files have gone: the held-out images would not be the same.

    Example:
        >>> split = FolderSplit("/photos", ("cats",), (), (), 0.2, 0)
        >>> same_split(split, "/photos", 0.2, 1)
        Traceback (most recent call last):
        ...
        ValueError: The run's split.json was made from '/photos' with validation_split=0.2, \
seed=0; this run asks for '/photos' with validation_split=0.2, seed=1: resume it with those, \
or choose another output_dir.
    """
    asked = (os.path.abspath(images_dir), float(validation_split), int(seed))
    made = (recorded.root, recorded.validation_split, recorded.seed)
    if asked != made:
        raise ValueError(
            f"The run's {SPLIT_FILE} was made from {made[0]!r} with validation_split={made[1]:g}, "
            f"seed={made[2]}; this run asks for {asked[0]!r} with validation_split="
            f"{asked[1]:g}, seed={asked[2]}: resume it with those, or choose another output_dir."
        )
    gone = [p for p, _ in (*recorded.train, *recorded.validation)
            if not os.path.isfile(os.path.join(recorded.root, p))]  # fmt: skip
    if gone:
        raise FileNotFoundError(
            f"{len(gone)} image(s) of the run's recorded split are gone from "
            f"{recorded.root!r} (e.g. {gone[0]!r}): restore them, or choose another output_dir."
        )

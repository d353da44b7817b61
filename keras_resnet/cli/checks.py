"""The console script's arguments checked before any framework starts: names of recipes,
models, datasets and files, and the quantizations of each export format, each by the
package's own light check (no Keras, no TensorFlow: an argument error answers in a blink).
Library errors are put in the command line's words here too (``--overwrite``, not
``overwrite=True``).
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import os
import re

from keras_resnet.data.catalog import KNOWN_DATASETS
from keras_resnet.deploy.formats import QUANTIZATIONS
from keras_resnet.errors import unknown_name
from keras_resnet.weight_files import WEIGHT_FILE_SUFFIXES  # a value ending otherwise is a name

#: The library's listings, as the console script lists them.
LISTINGS = {
    "recipes.list_recipes()": "`keras-resnet recipes`",
    "keras_resnet.list_models()": "`keras-resnet models`",
}


def positive_int(text: str) -> int:
    """An argparse ``type``: a whole number above 0.

    Example:
        >>> positive_int("3")
        3
        >>> positive_int("0")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: should be a whole number above 0. Received: 0
    """
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"should be a whole number above 0. Received: {text}")
    return value


def positive_float(text: str) -> float:
    """An argparse ``type``: a number above 0.

    Example:
        >>> positive_float("1e-4")
        0.0001
    """
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not value > 0:
        raise argparse.ArgumentTypeError(f"should be a number above 0. Received: {text}")
    return value


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse what the command's arguments name wrongly, before Keras starts.

    Example:
        >>> check_arguments(argparse.Namespace(command="train", recipe="fashion_mnist_resnt20",
        ...                                    weights=None))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Unknown recipe 'fashion_mnist_resnt20'. Did you mean 'fashion_mnist_resnet20'...
    """
    from keras_resnet.recipes import registry

    command = args.command
    if command == "train":
        registry.get(args.recipe)
    if command == "study":
        for family, depth in registry.check_nets(args.families, args.depths):
            registry.family_recipe(args.dataset, family, depth)
    if command in ("evaluate", "predict"):
        _check_model(args.model)
    if command in ("evaluate", "predict", "study") and args.dataset is not None:
        _check_dataset(args.dataset)
    if command in ("train", "evaluate", "predict") and args.weights is not None:
        _check_weights_file(args.weights)
    if command == "predict":
        folders = [path for path in args.images if os.path.isdir(path)]
        if folders:
            raise ValueError(
                f"IMAGE {folders[0]!r} is a folder: give image files (for example "
                f"{os.path.join(folders[0], '*.jpg')})."
            )
    if command == "export":
        _check_export(args)
    if command == "finetune":
        _check_finetune(args)
    if command == "evaluate" and args.images is not None and not os.path.isdir(args.images):
        raise FileNotFoundError(f"--images {args.images!r} is not a folder.")


def _check_finetune(args: argparse.Namespace) -> None:
    """The images folder, the model name, a weights file and the split, before Keras starts."""
    from keras_resnet import models
    from keras_resnet.data.folder_split import check_validation_split

    if not os.path.isdir(args.images):
        raise FileNotFoundError(f"IMAGES {args.images!r} is not a folder.")
    models.get_spec(args.arch, argument="arch")
    if args.weights is not None:
        _check_weights_file(args.weights)
    check_validation_split(args.validation_split)


def _check_model(name_or_file: str) -> None:
    """A ``.keras`` file that exists, or a model name (``models.get_spec``'s check)."""
    if name_or_file.endswith(".keras"):
        if not os.path.isfile(name_or_file):
            raise FileNotFoundError(f"The model file {name_or_file!r} does not exist.")
        return
    if os.path.splitext(name_or_file)[1] or os.sep in name_or_file:
        raise ValueError(
            "The model should be a model name (see `keras-resnet models`) or a saved `.keras` "
            f"file. Received: {name_or_file!r}"
        )
    from keras_resnet import models

    models.get_spec(name_or_file, argument="model")  # --model or MODEL, as in_cli_words says


def _check_weights_file(weights: str) -> None:
    if weights.lower().endswith(WEIGHT_FILE_SUFFIXES) and not os.path.isfile(weights):
        raise FileNotFoundError(f"The weights file {weights!r} does not exist (--weights).")


def _check_export(args: argparse.Namespace) -> None:
    if not os.path.isfile(args.model):
        raise FileNotFoundError(f"The model file {args.model!r} does not exist.")
    allowed = QUANTIZATIONS[args.format]
    if args.quantize not in allowed:
        taken = ", ".join(q for q in allowed if q) or "none"
        raise ValueError(
            f"--format {args.format} takes --quantize {taken}. Received: --quantize {args.quantize}"
        )
    if args.calibration:
        _check_dataset(args.calibration.partition(":")[0])


def _check_dataset(name: str) -> None:
    """Refuse at once a name that is not one of the package's datasets but close to one (a
    typo) and not in TFDS's source tree; other names are left to the full check of
    ``keras_resnet.data``, which starts TensorFlow to ask TFDS's registry."""
    if name in KNOWN_DATASETS:
        return
    close = difflib.get_close_matches(name, list(KNOWN_DATASETS), cutoff=0.75)
    tfds = importlib.util.find_spec("tensorflow_datasets")
    if (close or tfds is None) and name not in _tfds_tree_names(tfds):
        extra = " or another tensorflow-datasets image classification dataset"
        raise unknown_name("dataset", "dataset", name, list(KNOWN_DATASETS), extra=extra)


def _tfds_tree_names(spec) -> set[str]:
    """Dataset names TFDS's source tree shows without importing it (folders of datasets/,
    checksum files): most of its registry, enough to let a real name through."""
    if spec is None or not spec.submodule_search_locations:
        return set()
    root = spec.submodule_search_locations[0]
    names = set()
    for folder, suffix in (("datasets", ""), ("url_checksums", ".txt")):
        path = os.path.join(root, folder)
        if os.path.isdir(path):
            names |= {n[: len(n) - len(suffix)] for n in os.listdir(path) if n.endswith(suffix)}
    return names


def in_cli_words(message: str, parser: argparse.ArgumentParser) -> str:
    """``message`` with the library's keyword arguments named as ``parser``'s options:
    ``overwrite=True`` as ``--overwrite``, "The `weights` argument" as ``--weights``,
    ``batch_size=0`` as ``--batch-size 0``.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> _ = parser.add_argument("--overwrite", action="store_true")
        >>> in_cli_words("'m.onnx' exists; pass overwrite=True to replace it.", parser)
        "'m.onnx' exists; pass --overwrite to replace it."
    """
    for action in parser._actions:
        flags = [flag for flag in action.option_strings if flag.startswith("--")]
        if not flags or action.dest in ("help", "version"):
            continue
        name, flag = re.escape(action.dest), flags[0]
        message = re.sub(rf"(?<![\w-]){name}=True\b", flag, message)
        message = re.sub(rf"The `{name}` argument", flag, message)
        message = re.sub(rf"`{name}=?`", f"`{flag}`", message)
        message = re.sub(rf"(?<![\w`-]){name}=", f"{flag} ", message)
    for listing, command in LISTINGS.items():
        message = message.replace(listing, command)
    return message

"""The argument parser of ``keras-resnet``, one function per subcommand; it imports neither
Keras nor TensorFlow (``--help`` and argument errors answer at once)."""

from __future__ import annotations

import argparse

from keras_resnet.cli import finetune as cli_finetune
from keras_resnet.cli import weights as cli_weights
from keras_resnet.cli.checks import positive_int
from keras_resnet.cli.output import add_json_option
from keras_resnet.deploy.formats import FORMATS
from keras_resnet.recipes.run_options import command_line_options
from keras_resnet.version import __version__

WEIGHTS_HELP = (
    "weights for a model name: 'imagenet' (the default for ResNet-18...152), a checkpoint "
    "tag or name (keras-resnet weights list), hf://owner/repo, a "
    ".weights.h5/.keras/.safetensors file, or none (random weights)"
)


def _command(commands, name: str, help_text: str) -> argparse.ArgumentParser:
    return commands.add_parser(name, help=help_text, description=help_text)


def _add_run_options(parser: argparse.ArgumentParser, *, steps_help: str) -> None:
    """The options ``train`` and ``study`` share: ``RunOptions``' fields that carry a help
    text, their choices the library's (``--steps``' help is the command's)."""
    for field in command_line_options():
        help_text = steps_help if field.name == "steps" else field.metadata["help"]
        parse = positive_int if field.metadata["type"] is int else None
        parser.add_argument(
            "--" + field.name.replace("_", "-"), type=parse, default=field.default,
            choices=field.metadata["choices"], help=help_text,
        )  # fmt: skip


def _add_listings(commands) -> None:
    """``models`` and ``recipes``."""
    models_parser = _command(commands, "models", "list every model of the paper with its numbers")
    models_parser.add_argument(
        "names", nargs="*", metavar="NAME", help="models to list (default: all)"
    )
    models_parser.add_argument(
        "--count",
        action="store_true",
        help="build each model to count trainable parameters and multiply-adds "
        "(ResNet-1202 alone takes about 30 s)",
    )
    add_json_option(models_parser)
    add_json_option(_command(commands, "recipes", "list the training recipes"))


def _add_train(commands) -> None:
    """``train``: a recipe, resumable."""
    train = _command(
        commands, "train", "train a recipe; the same command again resumes after a kill"
    )
    train.add_argument("--recipe", required=True, help="recipe name (see `keras-resnet recipes`)")
    _add_run_options(train, steps_help="total iterations (default: the recipe's)")
    train.add_argument("--epochs", type=positive_int, help="epochs instead of --steps")
    train.add_argument("--output", help="output directory (default: runs/RECIPE)")
    train.add_argument(
        "--strategy",
        choices=["mirrored", "multiworker", "tpu"],
        help="tf.distribute strategy (default: none; multiworker reads TF_CONFIG); on JAX "
        "mirrored is keras.distribution.DataParallel",
    )
    train.add_argument(
        "--weights",
        help="initial weights: a .weights.h5, .keras or .safetensors file, or for a model of "
        "the zoo 'imagenet', a checkpoint tag or name, hf://owner/repo",
    )
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="start again in an --output that holds a finished run (default: report it, exit 0)",
    )
    train.add_argument("--seed", type=int, help="seed for weights, shuffling and augmentation")
    train.add_argument(
        "--deterministic", action="store_true",
        help="bit-identical runs on this machine: TensorFlow op determinism, --seed 0 by default",
    )  # fmt: skip
    train.add_argument(
        "--compress-schedule",
        action="store_true",
        help="scale the recipe's LR drops to --steps/--epochs (default: --steps only stops early)",
    )


def _add_study(commands) -> None:
    """``study``: the depth experiment."""
    study = _command(
        commands,
        "study",
        "the paper's depth experiment (Fig. 6, Table 6): plain and residual nets of several "
        "depths; the same command again continues after a stop",
    )
    study.add_argument(
        "--depths", type=int, nargs="+", default=[20, 56],
        help="CIFAR depths 6n+2 (default: 20 56)",
    )  # fmt: skip
    study.add_argument(
        "--families", nargs="+", default=["plain", "resnet"], metavar="FAMILY",
        help="plain and/or resnet (default: both)",
    )  # fmt: skip
    study.add_argument(
        "--epochs", type=positive_int, default=10, help="epochs per net (default: 10)"
    )
    study.add_argument("--output", required=True, help="the study folder")
    study.add_argument(
        "--dataset", default="fashion_mnist", help="fashion_mnist (default) or cifar10"
    )
    study.add_argument("--seed", type=int, default=0, help="seed for every net (default: 0)")
    _add_run_options(study, steps_help="iterations per net instead of --epochs")


def _add_evaluate(commands) -> None:
    """``evaluate``: a model's accuracy on a dataset."""
    evaluate = _command(
        commands, "evaluate", "accuracy of a saved model or a pretrained one on a dataset"
    )
    evaluate.add_argument(
        "model", help="a .keras file (e.g. runs/RECIPE/best.keras) or a model name (resnet50)"
    )
    evaluate.add_argument("--weights", help=WEIGHTS_HELP)
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", help="dataset name, e.g. fashion_mnist")
    source.add_argument(
        "--images", help="a folder with one sub-folder of images per class (of the model's)"
    )
    evaluate.add_argument("--split", default="test", help="TFDS split (default: test)")
    evaluate.add_argument(
        "--crops",
        choices=["center", "ten", "multiscale"],
        default="center",
        help="test-time views: the single view, 10 crops, or multi-scale (default: center)",
    )
    evaluate.add_argument(
        "--batch-size", type=positive_int, default=256, help="images per batch (256)"
    )
    evaluate.add_argument("--limit", type=positive_int, help="evaluate the first N images only")
    evaluate.add_argument("--data-dir", help="tensorflow-datasets data directory")
    add_json_option(evaluate)


def _add_predict(commands) -> None:
    """``predict``: classify image files."""
    predict = _command(commands, "predict", "classify image files")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    predict.add_argument(
        "--model", default="resnet50", help="a model name or a .keras file (default: resnet50)"
    )
    predict.add_argument("--weights", help=WEIGHTS_HELP + "; ImageNet weights print its names")
    predict.add_argument(
        "--dataset", help="the dataset the model was trained on: its preprocessing and class names"
    )
    predict.add_argument("--data-dir", help="tensorflow-datasets data directory")
    predict.add_argument(
        "--top", type=positive_int, default=5, help="classes to print per image (default: 5)"
    )
    add_json_option(predict)


def _add_export(commands) -> None:
    """``export``: a serving artifact, checked."""
    export = _command(
        commands, "export", "write a saved model for TF Serving, ONNX, OpenVINO or LiteRT, checked"
    )
    export.add_argument("model", help="a .keras file (e.g. runs/RECIPE/best.keras)")
    files = ", ".join(f"{f.suffix} ({name})" for name, f in FORMATS.items() if f.suffix)
    folders = ", ".join(name for name, f in FORMATS.items() if not f.suffix)
    export.add_argument("output", help=f"a folder ({folders}) or a file: {files}")
    export.add_argument("--format", choices=list(FORMATS), default="tf_saved_model")
    quantized = {name: [q for q in f.quantizations if q] for name, f in FORMATS.items()}
    export.add_argument(
        "--quantize", choices=sorted({q for qs in quantized.values() for q in qs}),
        help="; ".join(f"{name}: {', '.join(qs)}" for name, qs in quantized.items() if qs),
    )  # fmt: skip
    export.add_argument(
        "--calibration", metavar="DATASET[:SPLIT]",
        help="int8 calibration and parity images (default: the dataset the model was trained on)",
    )  # fmt: skip
    export.add_argument(
        "--samples", type=positive_int, default=512, help="calibration images (512)"
    )
    export.add_argument("--data-dir", help="tensorflow-datasets data directory")
    export.add_argument("--overwrite", action="store_true", help="replace an existing output")
    add_json_option(export)


class _OneLineErrors(argparse.ArgumentParser):
    """Argument errors in one line (``--help`` shows the usage), as every other refusal."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``keras-resnet``.

    Example:
        >>> build_parser().parse_args(["models", "--count"]).count
        True
    """
    parser = _OneLineErrors(
        prog="keras-resnet",
        description="The paper's ResNets in Keras 3: models, data, training recipes.",
    )
    parser.add_argument("--version", action="version", version=f"keras-resnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_listings, _add_train, _add_study, _add_evaluate, _add_predict, _add_export):
        add(commands)
    cli_finetune.add_parser(commands)
    cli_weights.add_parser(commands)
    return parser

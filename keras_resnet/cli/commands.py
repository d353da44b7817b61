"""The ``keras-resnet`` subcommands except ``weights``: models, recipes, train, study,
evaluate, predict.

Example:
    $ keras-resnet --version
    $ keras-resnet models --count
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import os
import sys
import time
from collections.abc import Sequence

from keras_resnet.cli import finetune as cli_finetune
from keras_resnet.cli import weights as cli_weights
from keras_resnet.cli.checks import check_arguments, in_cli_words
from keras_resnet.cli.output import emit_json, printable
from keras_resnet.cli.parser import build_parser
from keras_resnet.io import check_writable
from keras_resnet.models import register_custom_objects
from keras_resnet.recipes.run_options import command_line_options
from keras_resnet.vocabulary import INTEROP_THREADS_ENV


def _model_from(name_or_file: str, weights: str | None):
    """A saved ``.keras`` file, or a model name built with ``weights`` (its default if None;
    ``"none"``: random weights, as the constructors' ``weights=None``)."""
    from keras_resnet import models, recipes

    if name_or_file.endswith(".keras"):
        if weights is not None:
            raise ValueError(
                f"`--weights` applies to a model name, not to a saved file. Received: "
                f"--weights {weights!r} with {name_or_file!r}"
            )
        return recipes.load_model(name_or_file)
    # (a name that looks like a file was refused by cli.checks before Keras started)
    options = {} if weights is None else {"weights": None if weights == "none" else weights}
    return models.get_model(name_or_file, **options)  # carries its checkpoint


def _format_count(value: float | None, unit: float, suffix: str) -> str:
    return "-" if value is None else f"{value / unit:.3f}{suffix}"


def models_table(*, count: bool, names: Sequence[str] | None = None, out=None) -> list[dict]:
    """Print (and return) one row per model: family, block, blocks per stage, paper FLOPs.

    With ``count=True`` each model is built (random weights) to add its trainable
    parameters and multiply-adds at its default input size (224x224 ImageNet, 32x32 CIFAR).

    Example:
        >>> import io
        >>> rows = models_table(count=False, names=["resnet20"], out=io.StringIO())
        >>> rows[0]["blocks"]
        (3, 3, 3)
    """
    import numpy as np

    from keras_resnet import models

    out = out or sys.stdout
    specs = [models.get_spec(name) for name in (names or models.list_models())]
    header = f"{'model':<11} {'family':<9} {'block':<11} {'blocks':<16} {'paper FLOPs':>11}"
    if count:
        header += f" {'params':>13} {'mult-adds':>10} {'build s':>8}"
    print(header, file=out, flush=True)
    rows = []
    for spec in specs:
        row = {
            "model": spec.name,
            "family": spec.family,
            "block": spec.block,
            "blocks": spec.blocks_per_stage,
            "paper_flops": spec.paper_flops,
        }
        line = (
            f"{spec.name:<11} {spec.family:<9} {spec.block:<11} "
            f"{spec.blocks_per_stage!s:<16} {_format_count(spec.paper_flops, 1e9, 'G'):>11}"
        )
        if count:
            start = time.perf_counter()
            with models.recursion_limit(50_000):
                model = models.get_model(spec.name, weights=None)
            row["params"] = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
            row["flops"] = models.count_flops(model)
            row["build_seconds"] = time.perf_counter() - start
            unit, suffix = (1e9, "G") if spec.family == "imagenet" else (1e6, "M")
            line += (
                f" {row['params']:>13,} {_format_count(row['flops'], unit, suffix):>10}"
                f" {row['build_seconds']:>8.1f}"
            )
        print(line, file=out, flush=True)
        rows.append(row)
    return rows


def _train(args) -> int:
    from keras_resnet import recipes

    output = _train_output(args)
    result = recipes.train(
        args.recipe,
        output_dir=output,
        epochs=args.epochs,
        strategy=args.strategy,
        weights=args.weights,
        seed=args.seed,
        compress_schedule=args.compress_schedule,
        **_run_options(args),
        overwrite=args.overwrite,
        deterministic=args.deterministic,
        verbose=1 if sys.stdout.isatty() else 2,
    )
    m = result.metrics
    if result.history is None:
        print(
            f"{printable(output)} holds a finished run of {args.recipe}: nothing was trained "
            "or written (--overwrite starts it again)."
        )
    # Runs finished before the count was recorded have no test_images.
    images = (
        f" on {m['test_images']:,} of {m['test_split_images']:,} test images"
        if "test_images" in m
        else ""
    )
    print(
        f"{args.recipe}: test accuracy {100 * m['test_accuracy']:.2f}% "
        f"(error {100 * m['test_error']:.2f}%){images} after {m['iterations']} iterations, "
        f"{m['wall_seconds'] / 60:.1f} min, {m['images_per_second']:.0f} images/s"
    )
    for name in ("last.keras", "best.keras", "history.csv", "error.png", "metrics.json"):
        print(f"  {printable(os.path.join(output, name))}")
    return 0


def _train_output(args) -> str:
    return args.output or os.path.join("runs", args.recipe)


def _interrupted(args) -> int:
    """Ctrl-C: one line instead of a traceback; 130, the shell's code for SIGINT."""
    import warnings

    from keras_resnet.recipes.run_folder import PHASE_BACKUPS, resume_state

    where = "before it finished"
    if args.command in ("train", "finetune"):
        output = _train_output(args) if args.command == "train" else cli_finetune.output_dir(args)
        epochs = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for backup in PHASE_BACKUPS.values():  # a fine-tuning run has one per phase
                with contextlib.suppress(ValueError):  # damaged: the next run says so
                    epochs = max(epochs, resume_state(os.path.join(output, backup))[0])
        where = f"after epoch {epochs}"
    elif args.command == "study":
        where = "(finished nets are kept, the current one at its last epoch)"
    print(
        f"keras-resnet {args.command}: interrupted {where}; rerun the same command to resume",
        file=sys.stderr,
    )
    return 130


def _study(args) -> int:
    from keras_resnet import recipes

    result = recipes.study(
        args.families,
        args.depths,
        args.dataset,
        args.epochs,
        output_dir=args.output,
        seed=args.seed,
        **_run_options(args),
        verbose=1 if sys.stdout.isatty() else 0,
        log=lambda line: print(line, flush=True),
    )
    for claim in result.summary["claims"]:
        print(f"{claim['id']}: {claim['status']} ({claim['evidence']})")
    for name in ("results.csv", "fig6.png", "table.md", "summary.json"):
        print(f"  {printable(os.path.join(args.output, name))}")
    return 0


def _evaluate(args) -> int:
    from keras_resnet import recipes

    if args.images is not None:
        return _evaluate_images(args)
    result = recipes.evaluate(
        _model_from(args.model, args.weights), args.dataset, split=args.split, crops=args.crops,
        data_dir=args.data_dir, batch_size=args.batch_size, limit=args.limit,
        verbose=0 if args.json == "-" else (1 if sys.stdout.isatty() else 2),
    )  # fmt: skip
    if emit_json(args.json, result) and args.json == "-":
        return 0
    line = f"{args.dataset} {args.split} ({args.crops}): accuracy {100 * result['accuracy']:.2f}%"
    if "top5_accuracy" in result:
        line += f", top-5 {100 * result['top5_accuracy']:.2f}%"
    print(line + f" on {result['examples']:,} images")
    return 0


def _evaluate_images(args) -> int:
    """``evaluate MODEL --images DIR``: accuracy and per-class accuracy on a labelled folder."""
    from keras_resnet import recipes

    model = _model_from(args.model, args.weights)
    result = recipes.evaluate_folder(model, args.images, batch_size=args.batch_size)
    if emit_json(args.json, result) and args.json == "-":
        return 0
    print(f"{printable(args.images)}: accuracy {100 * result['accuracy']:.2f}% on "
          f"{result['images']:,} images")  # fmt: skip
    for name, accuracy in result["per_class_accuracy"].items():
        if accuracy is not None:
            count = result["class_counts"][name]
            print(f"  {printable(name)}: {100 * accuracy:.2f}% of {count:,}")
    return 0


def _predict(args) -> int:
    from keras_resnet import recipes

    model = _model_from(args.model, args.weights)
    predictions = recipes.predict_files(
        model, args.images, dataset=args.dataset, data_dir=args.data_dir, top=args.top
    )
    readable = sum(p.error is None for p in predictions)
    rows = [
        {"path": p.path, "error": p.error,
         "classes": [{"index": i, "name": n, "score": score} for i, n, score in p.classes]}
        for p in predictions
    ]  # fmt: skip
    if emit_json(args.json, rows) and args.json == "-":
        return 0 if readable else 1
    for prediction in predictions:
        path = printable(prediction.path)
        if prediction.error:
            print(f"{path}: error: {prediction.error}", file=sys.stderr)
            continue
        best = ", ".join(f"{printable(name)} {score:.3f}" for _, name, score in prediction.classes)
        print(f"{path}: {best}")
    return 0 if readable else 1


def _export(args) -> int:
    from keras_resnet import deploy

    result = deploy.export(
        args.model, args.output, format=args.format, quantize=args.quantize,
        calibration=args.calibration, samples=args.samples, overwrite=args.overwrite,
        data_dir=args.data_dir,
    )  # fmt: skip
    if emit_json(args.json, dataclasses.asdict(result)) and args.json == "-":
        return 0
    accuracy = (
        f", accuracy {result.accuracy:.2%} (Keras {result.keras_accuracy:.2%})"
        if result.accuracy is not None
        else ""
    )
    print(
        f"{printable(result.path)}: {result.format}, quantize={result.quantize}, weights "
        f"{result.weight_dtypes}; against the Keras model on {result.samples_checked} inputs: "
        f"top-1 agreement {result.top1_agreement:.2%}, relative error "
        f"{result.relative_error:.1e}{accuracy}; record {printable(result.record)}"
    )
    return 0


def _models(args) -> int:
    table = io.StringIO() if args.json == "-" else None  # JSON on stdout: no table there
    rows = models_table(count=args.count, names=args.names, out=table)
    emit_json(args.json, rows)
    return 0


def _recipes(args) -> int:
    from keras_resnet import recipes

    rows = [dataclasses.asdict(recipes.get(name)) for name in recipes.list_recipes()]
    if emit_json(args.json, rows) and args.json == "-":
        return 0
    print(f"{'recipe':<28} {'model':<11} {'dataset':<14} {'batch':>5} {'steps':>8}  source")
    for r in rows:
        row = f"{r['name']:<28} {r['model']:<11} {r['dataset']:<14} {r['batch_size']:>5} "
        print(f"{row}{r['steps']:>8}  {r['description']}")
    return 0


def _run_options(args: argparse.Namespace) -> dict:
    """The values of the options ``_add_run_options`` adds, as keyword arguments."""
    return {field.name: getattr(args, field.name) for field in command_line_options()}


def _one_op_at_a_time() -> None:
    """``--deterministic`` needs TensorFlow to run one op at a time, which is fixed when
    TensorFlow starts: the thread count goes in the environment before it starts, or, if it
    has (``python -m keras_resnet.cli`` imports the package in full), the command starts again
    once with it (``recipes.process_settings.enable_determinism``)."""
    if os.environ.get(INTEROP_THREADS_ENV) == "1":
        return
    os.environ[INTEROP_THREADS_ENV] = "1"
    if "tensorflow" not in sys.modules:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "keras_resnet.cli", *sys.argv[1:]])


def _needs_no_keras(args: argparse.Namespace) -> bool:
    """The commands that read only the package's tables: listing models (not counting them),
    the recipes and the zoo's registry."""
    if args.command == "models":
        return not args.count
    return args.command == "recipes" or (
        args.command == "weights" and args.action in ("list", "info")
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; returns the exit code.

    Example:
        >>> main(["models", "resnet18"])
        model       family    block       blocks           paper FLOPs
        resnet18    imagenet  basic       (2, 2, 2, 2)          1.800G
        0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "models": _models,
        "recipes": _recipes,
        "train": _train,
        "study": _study,
        "evaluate": _evaluate,
        "predict": _predict,
        "export": _export,
        "weights": cli_weights.run,
        "finetune": cli_finetune.run,
    }
    if args.command is None:
        parser.print_help()
        return 0
    command_parser = parser._subparsers._group_actions[0].choices[args.command]
    try:
        check_arguments(args)  # names, files and numbers: before any framework starts
        if getattr(args, "json", None) not in (None, "-"):
            check_writable(args.json, "--json")  # before an evaluation that may take an hour
        if getattr(args, "deterministic", False) and argv is None:
            _one_op_at_a_time()
        if not _needs_no_keras(args):
            register_custom_objects()  # the console script started light
        return handlers[args.command](args)
    except KeyboardInterrupt:
        return _interrupted(args)
    except (ValueError, OSError, ImportError) as error:  # ImportError: an optional runtime
        message = in_cli_words(str(error), command_parser)
        parser.exit(2, f"keras-resnet {args.command}: error: {message}\n")

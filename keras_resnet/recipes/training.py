"""``train``: compile and ``fit`` a recipe, writing a resumable output directory."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time

import keras

from keras_resnet import data, models
from keras_resnet.checkpoint import Checkpoint, Preprocessing
from keras_resnet.io import write_json_atomic
from keras_resnet.models.fused_norm import fuse_batch_norm
from keras_resnet.models.specs import default_shortcut
from keras_resnet.recipes import registry
from keras_resnet.recipes.callbacks import Throughput, history_columns
from keras_resnet.recipes.data_source import DataSource, TrainingData
from keras_resnet.recipes.distribute import (
    is_chief,
    is_multiworker,
    patch_for_multiworker,
    resolve_strategy,
)
from keras_resnet.recipes.in_memory import on_device_model
from keras_resnet.recipes.plot import plot_error_curves
from keras_resnet.recipes.process_settings import deterministic_seed, dtype_policy
from keras_resnet.recipes.recipe import Recipe
from keras_resnet.recipes.run_claim import claim, run_callbacks
from keras_resnet.recipes.run_folder import METRICS, RunFolder
from keras_resnet.recipes.run_options import RunOptions
from keras_resnet.schedules import PaperSchedule, WarmupUntilError


@dataclasses.dataclass
class TrainResult:
    """What ``train`` returns: the trained model, the keras History (None when the run had
    finished earlier and was not trained again), final metrics, outputs.

    Example:
        >>> result = train("fashion_mnist_resnet20", output_dir="r", steps=20)  # doctest: +SKIP
        >>> sorted(result.metrics)[:2]  # doctest: +SKIP
        ['dtype_policy', 'epochs']
    """

    model: keras.Model
    history: keras.callbacks.History | None
    metrics: dict
    output_dir: str


#: What a finished run's metrics.json always holds (what the CLI and the study read).
FINISHED_METRICS = ("recipe", "test_accuracy", "test_error", "iterations", "epochs")


def stored_result(output_dir: str, metrics: dict) -> TrainResult:
    """The result of the finished run in ``output_dir``: its metrics and ``last.keras``.

    Example:
        >>> stored_result("runs/fm20", {"recipe": "x"}).history is None  # doctest: +SKIP
        True
    """
    from keras_resnet.models.saved import load_model

    model = load_model(os.path.join(output_dir, "last.keras"))
    return TrainResult(model=model, history=None, metrics=metrics, output_dir=output_dir)


def compressed(recipe: Recipe, steps: int) -> Recipe:
    """``recipe`` with its LR boundaries and warm-up scaled to ``steps`` iterations.

    Example:
        >>> compressed(registry.get("cifar10_resnet20"), 640).lr_boundaries
        (320, 480)
    """
    factor = steps / recipe.steps
    return dataclasses.replace(
        recipe,
        steps=steps,
        lr_boundaries=tuple(round(b * factor) for b in recipe.lr_boundaries),
        warmup_steps=round(recipe.warmup_steps * factor),
    )


def trained_checkpoint(recipe: Recipe, dataset_info: dict, input_shape) -> Checkpoint:
    """What a model trained with ``recipe`` carries (``model.checkpoint``, saved in its
    ``.keras`` files): the dataset whose evaluation pipeline it expects, its class names.

    Example:
        >>> info = {"classes": 2, "class_names": ["a", "b"]}
        >>> c = trained_checkpoint(registry.get("fashion_mnist_plain20"), info, (32, 32, 1))
        >>> c.preprocessing.dataset, c.shortcut, c.class_names
        ('fashion_mnist', 'none', ('a', 'b'))
    """
    spec = models.get_spec(recipe.model)
    return Checkpoint(
        name=recipe.name,
        arch=spec.name,
        format="keras_resnet",
        variant=recipe.model_options.get("variant", "v1.5"),
        shortcut=recipe.model_options.get("shortcut", default_shortcut(spec))
        if spec.residual
        else "none",
        num_classes=dataset_info["classes"],
        preprocessing=Preprocessing(
            dataset=recipe.dataset, input_size=(input_shape[-1], *input_shape[:2])
        ),
        class_names=tuple(dataset_info["class_names"]),
        origin=f"trained by keras_resnet.recipes.train with recipe {recipe.name!r}",
    )


def train(
    recipe,
    *,
    output_dir: str,
    steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    strategy=None,
    mixed_precision: str | None = None,
    data_dir: str | None = None,
    weights=None,
    seed: int | None = None,
    batch_size: int | None = None,
    scale_lr: bool = False,
    validation_steps: int | None = None,
    compress_schedule: bool = False,
    callbacks=(),
    overwrite: bool = False,
    deterministic: bool = False,
    pipeline: str | None = None,
    steps_per_execution: int = 1,
    verbose="auto",
) -> TrainResult:
    """Train a recipe with ``model.fit`` and write its outputs to ``output_dir``.

    Writes ``recipe.json``, ``history.csv`` (one row per epoch, kept across restarts),
    ``last.keras`` and ``best.keras``, ``logs/`` (TensorBoard), ``error.png`` (Fig. 6 style)
    and ``metrics.json`` (test accuracy and error, top-5 where there are more than 10
    classes, wall time, images/s). Running the same call again after a crash or kill resumes
    from the last finished epoch (``keras.callbacks.BackupAndRestore`` in ``backup/``).

    Args:
        recipe: A ``Recipe`` or a registered name (``recipes.list_recipes()``).
        output_dir: Directory for every output.
        steps: Total training iterations (default: the recipe's); or give ``epochs``.
        epochs: Epochs of ``steps_per_epoch`` iterations each.
        steps_per_epoch: Iterations between evaluations and checkpoints.
        strategy: None, a ``tf.distribute.Strategy``, "mirrored", "multiworker" or "tpu"
            (TensorFlow backend); on JAX "mirrored" is Keras' DataParallel over the local
            devices; PyTorch trains on one device (None).
        mixed_precision: None (the recipe's), "float32", "mixed_float16" or "mixed_bfloat16".
        data_dir: TFDS data directory.
        weights: ``weights=`` for the model constructor (None: from scratch).
        seed: Seeds weights, shuffling and augmentation.
        batch_size: Global batch (default: the recipe's), split across replicas.
        scale_lr: Scale the LR linearly with ``batch_size / recipe.batch_size``.
        compress_schedule: Scale the recipe's LR boundaries and warm-up to ``steps`` (a short
            run with the recipe's shape); otherwise ``steps`` only stops the schedule early.
        validation_steps: Evaluate on this many test batches only (quick checks; the
            metrics then describe those batches), default the whole test split.
        callbacks: More ``keras.callbacks.Callback`` objects for ``fit`` (e.g. progress).
        overwrite: Start again in an ``output_dir`` that holds a finished run of this recipe
            (its outputs are removed once the new model, with ``weights``, is built).
            Otherwise such a run is not trained again: its stored result is returned
            (metrics from metrics.json, the model from last.keras, ``history=None``) and
            nothing is touched.
        deterministic: Bit-identical runs: TensorFlow's op determinism, one op at a time
            (``enable_determinism``) and ``seed`` (0 if None). Two runs with the same seed on
            the same machine (same TensorFlow, same thread counts), even side by side on a
            busy CPU, then give bit-identical weights, and so does a run killed mid-epoch and
            resumed (with any ``seed``, the data stream depends only on seed and position: the
            interrupted epoch restarts from its first batch). What it cannot promise: equality
            across machines, TensorFlow versions or thread counts, or under a
            ``tf.distribute`` strategy with several devices. Op determinism stays on for the
            rest of the process; its cost is measured in bench/train.py.
        pipeline: ``"memory"``: the dataset decoded once into memory and section 4.2's
            augmentation done inside the compiled step, on the device (no TensorFlow needed
            for fashion_mnist, mnist, cifar10 and cifar100 read from their raw files);
            ``"tfdata"``: tensorflow-datasets and tf.data. Default: the pipeline a resumed
            run started with, else memory for those four datasets and tf.data for others.
            The saved models are the same plain network either way.
        steps_per_execution: Training steps per compiled call (Keras' ``compile`` option),
            so short steps are not bound by Python; it must divide the epoch's steps.
        verbose: Passed to ``fit``.

    Example:
        >>> result = train("fashion_mnist_resnet20", output_dir="runs/fm20", steps=40,
        ...                steps_per_epoch=20)  # doctest: +SKIP
        >>> result.metrics["test_accuracy"]  # doctest: +SKIP
        0.71
    """
    recipe = registry.get(recipe)
    start = time.time()
    options = RunOptions(steps=steps, epochs=epochs, steps_per_epoch=steps_per_epoch,
                         batch_size=batch_size, validation_steps=validation_steps,
                         mixed_precision=mixed_precision, pipeline=pipeline, seed=seed,
                         steps_per_execution=steps_per_execution)  # fmt: skip
    seed = deterministic_seed(deterministic, seed)
    strategy = resolve_strategy(strategy)
    global_batch = options.global_batch(recipe)
    folder = RunFolder(output_dir)
    source = DataSource.choose(pipeline, recipe.dataset, folder, data_dir)
    per_epoch, num_epochs = options.plan(recipe, source.info["splits"]["train"])
    recipe = compressed(recipe, per_epoch * num_epochs) if compress_schedule else recipe
    chief = is_chief()
    settings = json.loads(recipe.to_json())
    with claim(output_dir, settings, purpose=f"a run of {recipe.name}", chief=chief,
               required=FINISHED_METRICS) as run:  # fmt: skip
        finished = run.finished
        if finished is not None and not overwrite:
            return stored_result(output_dir, finished)
        # Only the chief writes outputs; other workers back up into a scratch directory.
        work = folder if chief else RunFolder(tempfile.mkdtemp(prefix="keras_resnet_worker_"))
        done = work.resume_epochs(num_epochs, per_epoch) if finished is None else 0
        if seed is not None:
            keras.utils.set_random_seed(seed)
        # A resumed seeded run's data starts where its finished epochs ended.
        training_data = source.training_data(
            recipe, batch_size=global_batch, seed=seed, validation_steps=validation_steps,
            start_step=done * per_epoch if seed is not None else 0,
        )  # fmt: skip
        policy = mixed_precision or recipe.mixed_precision
        with dtype_policy(policy), strategy.scope():
            network = _build_model(recipe, source.info, weights)  # bad weights fail before writes
            fuse_batch_norm(network)  # TensorFlow's fused kernel: the same numbers, faster
            model = (on_device_model(network, source.in_memory, training_data.seed)
                     if source.in_memory else network)  # fmt: skip
            schedule = _compile_all(model, network, recipe, source.info, lr_scale=global_batch /
                                    recipe.batch_size if scale_lr else 1.0,
                                    steps_per_execution=steps_per_execution)  # fmt: skip
            work.check_state_fits(model)  # a resume state that fits another model: refused
        run.begin()  # --overwrite removes the old outputs only now that the new run can start
        work.record_pipeline(source.pipeline)
        if is_multiworker(strategy):
            patch_for_multiworker(model, strategy, next(iter(training_data.train)))
        own = _callbacks(recipe, schedule, work.path, output_dir if chief else None, network)
        history, throughput = _fit(model, training_data, num_epochs, per_epoch, global_batch,
                                   callbacks=(own, callbacks), verbose=verbose)  # fmt: skip
        _check_iterations(model, num_epochs * per_epoch, work.path)
        metrics = _final_metrics(model, training_data, recipe, num_epochs, start, throughput)
        metrics.update(replicas=strategy.num_replicas_in_sync, pipeline=source.pipeline,
                       dtype_policy=policy or "float32",
                       **source.tested_images(validation_steps, global_batch))  # fmt: skip
        if chief:
            _write_outputs(output_dir, recipe, metrics)
        # The resume state goes only now that metrics.json and the models are written.
        shutil.rmtree(os.path.join(output_dir, "backup") if chief else work.path, True)
        return TrainResult(model=network, history=history, metrics=metrics, output_dir=output_dir)


def _check_iterations(model: keras.Model, expected: int, work_dir: str) -> None:
    """Refuse to report a run that did not train the iterations its epochs make (a resume
    state that lied about its epochs), unless a callback stopped it (TerminateOnNaN)."""
    iterations = int(model.optimizer.iterations.numpy())
    if iterations != expected and not model.stop_training:
        raise ValueError(
            f"The run in {work_dir!r} ended at iteration {iterations}, not {expected}: its "
            f"resume state ({os.path.join(work_dir, 'backup')!r}) does not match its epochs. "
            "Remove backup/ and history.csv to start the run again."
        )


def _build_model(recipe: Recipe, dataset_info: dict, weights) -> keras.Model:
    """The recipe's network for the dataset's images, with weight decay; it carries the
    checkpoint a model trained by this recipe is (``trained_checkpoint``)."""
    defaults = dataset_info["defaults"]
    channels = dataset_info["image_shape"][-1] if defaults.style == data.catalog.CIFAR_STYLE else 3
    regularizer = keras.regularizers.L2(recipe.weight_decay / 2) if recipe.weight_decay else None
    model = models.get_model(
        recipe.model,
        weights=weights,
        input_shape=(defaults.image_size, defaults.image_size, channels),
        classes=dataset_info["classes"],
        kernel_regularizer=regularizer,
        **recipe.model_options,
    )
    model.checkpoint = trained_checkpoint(recipe, dataset_info, model.input_shape[1:])
    return model


def _optimizer(recipe: Recipe, lr_scale: float):
    """SGD with the recipe's schedule; and the schedule (None on a plateau recipe)."""
    if recipe.plateau:
        schedule, learning_rate = None, recipe.lr_values[0] * lr_scale
    else:
        schedule = PaperSchedule(
            recipe.lr_values, recipe.lr_boundaries, recipe.warmup_lr, recipe.warmup_steps,
            scale=lr_scale,
        )  # fmt: skip
        learning_rate = schedule
    return keras.optimizers.SGD(learning_rate, momentum=recipe.momentum), schedule


def _compile(model: keras.Model, recipe: Recipe, dataset_info: dict, optimizer, **options) -> None:
    """The recipe's loss and metrics (top-5 where there are more than 10 classes)."""
    if recipe.label_smoothing:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing)
        metrics = [keras.metrics.CategoricalAccuracy(name="accuracy")]
        top5 = keras.metrics.TopKCategoricalAccuracy(5, name="top5_accuracy")
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        top5 = keras.metrics.SparseTopKCategoricalAccuracy(5, name="top5_accuracy")
    if dataset_info["classes"] > 10:
        metrics.append(top5)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, **options)


def _compile_all(model, network, recipe: Recipe, dataset_info: dict, *, lr_scale: float,
                 steps_per_execution: int):  # fmt: skip
    """Compile the model that trains and, when it wraps ``network``, the network too with
    the same optimizer (its saved files then carry the optimizer state, as the tf.data
    path's do); returns the schedule."""
    optimizer, schedule = _optimizer(recipe, lr_scale)
    _compile(model, recipe, dataset_info, optimizer, steps_per_execution=steps_per_execution)
    if network is not model:
        _compile(network, recipe, dataset_info, optimizer)
    return schedule


def _callbacks(recipe: Recipe, schedule, work_dir: str, output_dir: str | None,
               network: keras.Model) -> list:  # fmt: skip
    """The recipe's warm-up end and plateau drops, then every run's (``run_callbacks``)."""
    callbacks = []
    if schedule is not None and recipe.warmup_until_error is not None:
        callbacks.append(WarmupUntilError(schedule, recipe.warmup_until_error))
    if recipe.plateau:
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau("val_accuracy", factor=0.1, patience=5, mode="max")
        )
    return [*callbacks, *run_callbacks(work_dir, output_dir, network)]


def _fit(model, training_data: TrainingData, num_epochs: int, per_epoch: int, global_batch: int, *,
         callbacks: tuple, verbose) -> tuple:  # fmt: skip
    """``model.fit`` with the run's callbacks, the images/s meter between the package's own
    and the caller's (``callbacks``: both lists); returns the history and the meter."""
    own, given = callbacks
    throughput = Throughput(global_batch)
    history = model.fit(
        training_data.train,
        epochs=num_epochs,
        steps_per_epoch=per_epoch,
        callbacks=[*own, throughput, *given],
        shuffle=False,  # the data is shuffled already
        verbose=verbose,
        **training_data.validation_arguments(),
    )
    return history, throughput


def _final_metrics(
    model, training_data: TrainingData, recipe, num_epochs, start, throughput
) -> dict:
    """Test accuracy and error (top-5 where measured), iterations, time and speed."""
    scores = training_data.evaluate(model)
    metrics = {
        "recipe": recipe.name,
        "test_accuracy": float(scores["accuracy"]),
        "test_error": 1.0 - float(scores["accuracy"]),
        "test_loss": float(scores["loss"]),
        "iterations": int(model.optimizer.iterations.numpy()),
        "epochs": num_epochs,
        "wall_seconds": time.time() - start,
        "images_per_second": throughput.images_per_second,
    }
    if "top5_accuracy" in scores:
        metrics["test_top5_accuracy"] = float(scores["top5_accuracy"])
    return metrics


def _write_outputs(output_dir: str, recipe: Recipe, metrics: dict) -> None:
    """metrics.json (with every epoch's time across restarts) and error.png."""
    epochs_so_far = history_columns(os.path.join(output_dir, "history.csv"))
    # Every epoch's time, across restarts (wall_seconds is this process's alone).
    metrics["training_seconds"] = sum(epochs_so_far.get("epoch_seconds", []))
    write_json_atomic(os.path.join(output_dir, METRICS), metrics)
    plot_error_curves(
        epochs_so_far,
        os.path.join(output_dir, "error.png"),
        title=f"{recipe.name}: test error {100 * metrics['test_error']:.2f}%",
    )

"""``train``: compile and ``fit`` a recipe, writing a resumable output directory."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import shutil
import tempfile
import time
import warnings

import keras
import tensorflow as tf

from keras_resnet import data, models
from keras_resnet.io import read_json, write_json_atomic, write_text_atomic
from keras_resnet.lock import directory_lock
from keras_resnet.recipes import registry
from keras_resnet.recipes.callbacks import (
    AtomicModelCheckpoint,
    ResumableCSVLogger,
    read_history,
)
from keras_resnet.recipes.distribute import is_chief, resolve_strategy
from keras_resnet.recipes.plot import plot_error_curves
from keras_resnet.recipes.recipe import Recipe
from keras_resnet.recipes.run_folder import RUN_FILES, RUN_FOLDERS, check_not_foreign, check_resume
from keras_resnet.schedules import PaperSchedule, WarmupUntilError
from keras_resnet.vocabulary import DTYPE_POLICIES, check_choice, check_positive, check_seed
from keras_resnet.zoo.checkpoint import Checkpoint, Preprocessing


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


@contextlib.contextmanager
def dtype_policy(name: str | None):
    """Set Keras' global dtype policy inside the block (None leaves it as it is).

    Example:
        >>> with dtype_policy("mixed_bfloat16"):
        ...     keras.config.dtype_policy().name
        'mixed_bfloat16'
    """
    check_policy(name)
    previous = keras.config.dtype_policy()
    if name is not None:
        keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _claim_output_dir(output_dir: str, recipe: Recipe, *, write: bool = True) -> None:
    """Refuse an ``output_dir`` that holds a run of another recipe; else (with ``write``)
    record ``recipe`` there."""
    path = os.path.join(output_dir, "recipe.json")
    if os.path.isfile(path):
        previous = read_json(path)
        if previous != json.loads(recipe.to_json()):
            name = previous.get("name") if isinstance(previous, dict) else None
            raise ValueError(
                f"The `output_dir` {output_dir!r} holds a run of recipe {name!r} "
                f"with other settings than {recipe.name!r}; choose another output_dir or delete it."
            )
        return
    if write:
        write_text_atomic(path, recipe.to_json())


def _finished_run(output_dir: str, recipe: Recipe) -> TrainResult | None:
    """The stored result of a finished run of ``recipe`` in ``output_dir``, or None."""
    metrics_path = os.path.join(output_dir, "metrics.json")
    recipe_path = os.path.join(output_dir, "recipe.json")
    if not (os.path.isfile(metrics_path) and os.path.isfile(recipe_path)):
        return None
    if read_json(recipe_path) != json.loads(recipe.to_json()):
        return None  # _claim_output_dir refuses it with a clear error
    metrics = read_json(metrics_path)
    from keras_resnet.recipes.evaluate import load_model

    model = load_model(os.path.join(output_dir, "last.keras"))
    return TrainResult(model=model, history=None, metrics=metrics, output_dir=output_dir)


def _remove_outputs(output_dir: str) -> None:
    for name in RUN_FILES:
        path = os.path.join(output_dir, name)
        if os.path.isfile(path):
            os.remove(path)
    for name in RUN_FOLDERS:
        shutil.rmtree(os.path.join(output_dir, name), ignore_errors=True)


def check_policy(mixed_precision) -> None:
    """Refuse a dtype policy that is not one of ``DTYPE_POLICIES``."""
    check_choice("mixed_precision", mixed_precision, DTYPE_POLICIES)


def _steps_plan(recipe: Recipe, steps, epochs, steps_per_epoch, train_examples, batch_size):
    if steps is not None and epochs is not None:
        raise ValueError(
            f"Give `steps` or `epochs`, not both. Received: steps={steps!r}, epochs={epochs!r}"
        )
    for name, value in (("steps", steps), ("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
        check_positive(name, value)
    per_epoch = steps_per_epoch or recipe.steps_per_epoch or math.ceil(train_examples / batch_size)
    total = epochs * per_epoch if epochs else (steps or recipe.steps)
    per_epoch = min(per_epoch, total)
    if total % per_epoch:
        raise ValueError(
            f"Training runs whole epochs: `steps` ({total}) should be a multiple of "
            f"`steps_per_epoch` ({per_epoch}); for example steps_per_epoch="
            f"{max(d for d in range(1, per_epoch + 1) if total % d == 0)}."
        )
    return per_epoch, total // per_epoch


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


def trained_checkpoint(recipe: Recipe, about: dict, input_shape) -> Checkpoint:
    """What a model trained with ``recipe`` carries (``model.checkpoint``, saved in its
    ``.keras`` files): the dataset whose evaluation pipeline it expects, its class names.

    Example:
        >>> about = {"classes": 2, "class_names": ["a", "b"]}
        >>> c = trained_checkpoint(registry.get("fashion_mnist_plain20"), about, (32, 32, 1))
        >>> c.preprocessing.dataset, c.shortcut, c.class_names
        ('fashion_mnist', 'none', ('a', 'b'))
    """
    spec = models.get_spec(recipe.model)
    default_shortcut = "A" if spec.family == "cifar" else "B"
    return Checkpoint(
        name=recipe.name,
        arch=spec.name,
        format="keras_resnet",
        variant=recipe.model_options.get("variant", "v1.5"),
        shortcut=recipe.model_options.get("shortcut", default_shortcut)
        if spec.residual
        else "none",
        num_classes=about["classes"],
        preprocessing=Preprocessing(
            dataset=recipe.dataset, input_size=(input_shape[-1], *input_shape[:2])
        ),
        class_names=tuple(about["class_names"]),
        origin=f"trained by keras_resnet.recipes.train with recipe {recipe.name!r}",
    )


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
            self.batches += 1
        self._seen_first = True

    @property
    def images_per_second(self) -> float:
        return self.batches * self.batch_size / self.seconds if self.seconds else 0.0


def _patch_for_multiworker(model: keras.Model, strategy, batch) -> None:
    """Work around keras-team/keras#20585: Keras 3 fit() under MultiWorkerMirroredStrategy.

    Two steps of Keras' TF trainer fail with several workers: (1) before the first step,
    fit() averages a distributed (x, y) batch with ``strategy.reduce`` on the tuple, which the
    collective reduce cannot take; (2) each step's scalar logs are reduced across workers with
    ``axis=0``, which a scalar lacks. So: build the compiled loss and metrics from a local
    batch and skip (1), and give the logs a leading axis of one for (2), so the cross-worker
    mean yields the same scalars.
    """
    with strategy.scope():
        model._symbolic_build(data_batch=batch)
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None

    def with_leading_axis(step):
        def wrapped(data):
            logs = step(data)
            return {
                k: keras.ops.reshape(v, (1,)) if len(v.shape) == 0 else v for k, v in logs.items()
            }

        return wrapped

    model.train_step = with_leading_axis(model.train_step)
    model.test_step = with_leading_axis(model.test_step)


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
        verbose: Passed to ``fit``.

    Example:
        >>> result = train("fashion_mnist_resnet20", output_dir="runs/fm20", steps=40,
        ...                steps_per_epoch=20)  # doctest: +SKIP
        >>> result.metrics["test_accuracy"]  # doctest: +SKIP
        0.71
    """
    recipe = registry.get(recipe)
    start = time.time()
    # Every argument is checked before anything is written.
    check_positive("batch_size", batch_size)
    check_positive("validation_steps", validation_steps)
    check_seed(seed)
    check_policy(mixed_precision)
    if deterministic:
        seed = 0 if seed is None else seed
        enable_determinism()
    strategy = resolve_strategy(strategy)
    global_batch = batch_size or recipe.batch_size
    about = data.info(recipe.dataset, data_dir)
    per_epoch, num_epochs = _steps_plan(
        recipe, steps, epochs, steps_per_epoch, about["splits"]["train"], global_batch
    )
    if compress_schedule:
        recipe = compressed(recipe, per_epoch * num_epochs)
    chief = is_chief()
    if chief:
        check_not_foreign(output_dir)  # before the lock file is made there
    # One run per output directory (a second one stops here, before writing anything).
    lock = directory_lock(output_dir, purpose=f"a run of {recipe.name}") if chief else None
    with lock or contextlib.nullcontext():
        finished = _finished_run(output_dir, recipe)
        if finished is not None and not overwrite:
            return finished
        # Only the chief writes outputs; other workers back up into a scratch directory.
        work_dir = output_dir if chief else tempfile.mkdtemp(prefix="keras_resnet_worker_")
        if chief:
            _claim_output_dir(output_dir, recipe, write=False)  # another recipe's: refused now
        done = check_resume(work_dir, num_epochs, per_epoch) if finished is None else 0
        if seed is not None:
            keras.utils.set_random_seed(seed)
        # A resumed seeded run skips exactly what its finished epochs used.
        skip = done * per_epoch * global_batch if seed is not None else 0
        train_ds, test_ds = _pipelines(
            recipe, about, global_batch, data_dir, seed, validation_steps, skip=skip
        )
        policy = mixed_precision or recipe.mixed_precision
        with dtype_policy(policy), strategy.scope():
            model = _build_model(recipe, about, weights)  # bad weights fail before any write
            schedule = _compile(
                model, recipe, about, global_batch / recipe.batch_size if scale_lr else 1.0
            )
        if finished is not None:
            _remove_outputs(output_dir)  # --overwrite: only now that the new run can start
        if chief:
            _claim_output_dir(output_dir, recipe)
        if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            _patch_for_multiworker(model, strategy, next(iter(train_ds)))
        throughput = Throughput(global_batch)
        history = model.fit(
            train_ds,
            epochs=num_epochs,
            steps_per_epoch=per_epoch,
            validation_data=test_ds,
            callbacks=[
                *_callbacks(recipe, schedule, work_dir, output_dir if chief else None),
                throughput,
                *callbacks,
            ],
            shuffle=False,  # the tf.data pipeline shuffles
            verbose=verbose,
        )
        _check_iterations(model, num_epochs * per_epoch, work_dir)
        metrics = _final_metrics(model, test_ds, recipe, num_epochs, start, throughput, strategy)
        metrics["dtype_policy"] = policy or "float32"
        test_split = about["splits"]["test"]
        metrics["test_images"] = (
            min(test_split, validation_steps * global_batch) if validation_steps else test_split
        )
        metrics["test_split_images"] = test_split
        if chief:
            _write_outputs(output_dir, recipe, metrics)
        # The resume state goes only now that metrics.json and the models are written.
        shutil.rmtree(os.path.join(output_dir, "backup") if chief else work_dir, True)
        return TrainResult(model=model, history=history, metrics=metrics, output_dir=output_dir)


#: TensorFlow reads its inter-op thread count from this variable when it starts.
INTEROP_THREADS_ENV = "TF_NUM_INTEROP_THREADS"


def enable_determinism() -> None:
    """TensorFlow's op determinism, and one op at a time: ops that run side by side
    (inter-op parallelism) made two same-seed runs on a busy 2-core machine differ from the
    first epoch; each op still uses every core (intra-op threads). Stays on for the process.

    Example:
        >>> enable_determinism()  # doctest: +SKIP
    """
    tf.config.experimental.enable_op_determinism()
    one_at_a_time = os.environ.get(INTEROP_THREADS_ENV) == "1"
    if one_at_a_time or tf.config.threading.get_inter_op_parallelism_threads() == 1:
        return
    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow has run an op already: its thread pools are fixed
        warnings.warn(
            "deterministic=True: TensorFlow had started before train() and runs ops side by "
            "side, so a run on a busy machine may differ from another with the same seed; "
            "set TF_NUM_INTEROP_THREADS=1 before Python starts (the keras-resnet command "
            "does), or call tf.config.threading.set_inter_op_parallelism_threads(1) before "
            "any TensorFlow op.",
            stacklevel=3,
        )


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


def _pipelines(recipe, about, global_batch, data_dir, seed, validation_steps, *, skip=0):
    """The repeated, augmented training pipeline and the test pipeline."""
    train_ds = data.load(
        recipe.dataset, "train", batch_size=global_batch, training=True, data_dir=data_dir,
        seed=seed, repeat=True, skip=skip,
    )  # fmt: skip
    test_ds = data.load(recipe.dataset, "test", batch_size=global_batch, data_dir=data_dir)
    if validation_steps is not None:
        test_ds = test_ds.take(validation_steps)
    if recipe.label_smoothing:
        one_hot = lambda x, y: (x, keras.ops.one_hot(y, about["classes"]))  # noqa: E731
        train_ds, test_ds = train_ds.map(one_hot), test_ds.map(one_hot)
    return train_ds, test_ds


def _build_model(recipe: Recipe, about: dict, weights) -> keras.Model:
    """The recipe's network for the dataset's images, with weight decay; it carries the
    checkpoint a model trained by this recipe is (``trained_checkpoint``)."""
    defaults = about["defaults"]
    channels = about["image_shape"][-1] if defaults.style == data.catalog.CIFAR_STYLE else 3
    regularizer = keras.regularizers.L2(recipe.weight_decay / 2) if recipe.weight_decay else None
    model = models.get_model(
        recipe.model,
        weights=weights,
        input_shape=(defaults.image_size, defaults.image_size, channels),
        classes=about["classes"],
        kernel_regularizer=regularizer,
        **recipe.model_options,
    )
    model.checkpoint = trained_checkpoint(recipe, about, model.input_shape[1:])
    return model


def _compile(model: keras.Model, recipe: Recipe, about: dict, lr_scale: float):
    """SGD with the recipe's schedule (None on a plateau recipe), loss and metrics; returns
    the schedule."""
    schedule = None
    if recipe.plateau:
        learning_rate = recipe.lr_values[0] * lr_scale
    else:
        schedule = PaperSchedule(
            recipe.lr_values, recipe.lr_boundaries, recipe.warmup_lr, recipe.warmup_steps,
            scale=lr_scale,
        )  # fmt: skip
        learning_rate = schedule
    if recipe.label_smoothing:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing)
        metrics = [keras.metrics.CategoricalAccuracy(name="accuracy")]
        top5 = keras.metrics.TopKCategoricalAccuracy(5, name="top5_accuracy")
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        top5 = keras.metrics.SparseTopKCategoricalAccuracy(5, name="top5_accuracy")
    if about["classes"] > 10:
        metrics.append(top5)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate, momentum=recipe.momentum),
        loss=loss,
        metrics=metrics,
    )
    return schedule


def _callbacks(recipe: Recipe, schedule, work_dir: str, output_dir: str | None) -> list:
    """NaN stop, warm-up end, plateau drops, the chief's outputs; and last, resumption: an
    epoch's row and models are written before its resume state, so a kill between the two
    trains that epoch again (its row is then replaced) and never leaves it out."""
    callbacks = [keras.callbacks.TerminateOnNaN()]
    if schedule is not None and recipe.warmup_until_error is not None:
        callbacks.append(WarmupUntilError(schedule, recipe.warmup_until_error))
    if recipe.plateau:
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau("val_accuracy", factor=0.1, patience=5, mode="max")
        )
    if output_dir is not None:
        history = read_history(os.path.join(output_dir, "history.csv"))  # of earlier runs
        callbacks += [
            ResumableCSVLogger(os.path.join(output_dir, "history.csv")),
            AtomicModelCheckpoint(os.path.join(output_dir, "last.keras")),
            AtomicModelCheckpoint(
                os.path.join(output_dir, "best.keras"),
                monitor="val_accuracy",
                initial_value_threshold=max(history.get("val_accuracy", []), default=None),
            ),
            keras.callbacks.TensorBoard(os.path.join(output_dir, "logs")),
        ]
    # train() removes backup/ once metrics.json is written (Keras would at the end of fit).
    backup = keras.callbacks.BackupAndRestore(
        os.path.join(work_dir, "backup"), double_checkpoint=True, delete_checkpoint=False
    )
    return [*callbacks, backup]


def _final_metrics(model, test_ds, recipe, num_epochs, start, throughput, strategy) -> dict:
    """Test accuracy and error (top-5 where measured), iterations, time and speed."""
    scores = model.evaluate(test_ds, return_dict=True, verbose=0)
    metrics = {
        "recipe": recipe.name,
        "test_accuracy": float(scores["accuracy"]),
        "test_error": 1.0 - float(scores["accuracy"]),
        "test_loss": float(scores["loss"]),
        "iterations": int(model.optimizer.iterations.numpy()),
        "epochs": num_epochs,
        "wall_seconds": time.time() - start,
        "images_per_second": throughput.images_per_second,
        "replicas": strategy.num_replicas_in_sync,
    }
    if "top5_accuracy" in scores:
        metrics["test_top5_accuracy"] = float(scores["top5_accuracy"])
    return metrics


def _write_outputs(output_dir: str, recipe: Recipe, metrics: dict) -> None:
    """metrics.json (with every epoch's time across restarts) and error.png."""
    epochs_so_far = read_history(os.path.join(output_dir, "history.csv"))
    # Every epoch's time, across restarts (wall_seconds is this process's alone).
    metrics["training_seconds"] = sum(epochs_so_far.get("epoch_seconds", []))
    write_json_atomic(os.path.join(output_dir, "metrics.json"), metrics)
    plot_error_curves(
        epochs_so_far,
        os.path.join(output_dir, "error.png"),
        title=f"{recipe.name}: test error {100 * metrics['test_error']:.2f}%",
    )

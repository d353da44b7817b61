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

from keras_resnet import data, models
from keras_resnet.checkpoint import Checkpoint, Preprocessing
from keras_resnet.data.memory import InMemoryDataset, load_in_memory
from keras_resnet.io import write_json_atomic
from keras_resnet.models.fused_norm import fuse_batch_norm
from keras_resnet.recipes import registry
from keras_resnet.recipes.callbacks import read_history
from keras_resnet.recipes.distribute import (
    is_chief,
    is_multiworker,
    patch_for_multiworker,
    resolve_strategy,
)
from keras_resnet.recipes.in_memory import (
    default_pipeline,
    feeds,
    on_device_model,
    stream_seed,
)
from keras_resnet.recipes.plot import plot_error_curves
from keras_resnet.recipes.recipe import Recipe
from keras_resnet.recipes.run_claim import claim, run_callbacks
from keras_resnet.recipes.run_folder import (
    check_pipeline,
    check_resume,
    check_state_fits,
    record_pipeline,
    recorded_pipeline,
)
from keras_resnet.schedules import PaperSchedule, WarmupUntilError
from keras_resnet.vocabulary import (
    DTYPE_POLICIES,
    INTEROP_THREADS_ENV,
    PIPELINES,
    check_choice,
    check_positive,
    check_seed,
)


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


def check_policy(mixed_precision) -> None:
    """Refuse a dtype policy that is not one of ``DTYPE_POLICIES``.

    Example:
        >>> check_policy("mixed_float32")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: ... Received: mixed_precision='mixed_float32'
    """
    check_choice("mixed_precision", mixed_precision, DTYPE_POLICIES)


def _steps_plan(recipe: Recipe, steps, epochs, steps_per_epoch, train_examples, batch_size,
                steps_per_execution: int = 1):  # fmt: skip
    """(iterations per epoch, epochs): whole epochs, each ending on a whole compiled call."""
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
    _check_steps_per_execution(steps_per_execution, per_epoch)
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
            self.batches += getattr(self.model, "steps_per_execution", 1)  # steps per call
        self._seen_first = True

    @property
    def images_per_second(self) -> float:
        return self.batches * self.batch_size / self.seconds if self.seconds else 0.0


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
    # Every argument is checked before anything is written.
    _check_arguments(batch_size, validation_steps, steps_per_execution, seed, mixed_precision,
                     pipeline)  # fmt: skip
    seed = _deterministic_seed(deterministic, seed)
    strategy = resolve_strategy(strategy)
    global_batch = batch_size or recipe.batch_size
    pipeline, in_memory, about = _data_source(pipeline, recipe.dataset, output_dir, data_dir)
    per_epoch, num_epochs = _steps_plan(recipe, steps, epochs, steps_per_epoch,
                                        about["splits"]["train"], global_batch,
                                        steps_per_execution)  # fmt: skip
    recipe = compressed(recipe, per_epoch * num_epochs) if compress_schedule else recipe
    chief = is_chief()
    settings = json.loads(recipe.to_json())
    with claim(output_dir, settings, purpose=f"a run of {recipe.name}", chief=chief,
               required=FINISHED_METRICS) as run:  # fmt: skip
        finished = run.finished
        if finished is not None and not overwrite:
            return stored_result(output_dir, finished)
        # Only the chief writes outputs; other workers back up into a scratch directory.
        work_dir = output_dir if chief else tempfile.mkdtemp(prefix="keras_resnet_worker_")
        done = check_resume(work_dir, num_epochs, per_epoch) if finished is None else 0
        if seed is not None:
            keras.utils.set_random_seed(seed)
        data_feeds = _feeds(  # a resumed seeded run's data starts where its epochs ended
            recipe, about, in_memory, global_batch, data_dir, seed, validation_steps,
            start_step=done * per_epoch if seed is not None else 0,
        )  # fmt: skip
        policy = mixed_precision or recipe.mixed_precision
        with dtype_policy(policy), strategy.scope():
            network = _build_model(recipe, about, weights)  # bad weights fail before any write
            fuse_batch_norm(network)  # TensorFlow's fused kernel: the same numbers, faster
            model = on_device_model(network, in_memory, data_feeds.seed) if in_memory else network
            schedule = _compile_all(model, network, recipe, about, lr_scale=global_batch /
                                    recipe.batch_size if scale_lr else 1.0,
                                    steps_per_execution=steps_per_execution)  # fmt: skip
            check_state_fits(model, work_dir)  # a resume state that fits another model: refused
        run.begin()  # --overwrite removes the old outputs only now that the new run can start
        record_pipeline(os.path.join(work_dir, "backup"), pipeline)
        if is_multiworker(strategy):
            patch_for_multiworker(model, strategy, next(iter(data_feeds.train)))
        own = _callbacks(recipe, schedule, work_dir, output_dir if chief else None, network)
        history, throughput = _fit(model, data_feeds, num_epochs, per_epoch, global_batch,
                                   callbacks=(own, callbacks), verbose=verbose)  # fmt: skip
        _check_iterations(model, num_epochs * per_epoch, work_dir)
        metrics = _final_metrics(model, data_feeds, recipe, num_epochs, start, throughput)
        metrics.update(replicas=strategy.num_replicas_in_sync, pipeline=pipeline,
                       dtype_policy=policy or "float32",
                       **_tested_images(about, validation_steps, global_batch))  # fmt: skip
        if chief:
            _write_outputs(output_dir, recipe, metrics)
        # The resume state goes only now that metrics.json and the models are written.
        shutil.rmtree(os.path.join(output_dir, "backup") if chief else work_dir, True)
        return TrainResult(model=network, history=history, metrics=metrics, output_dir=output_dir)


def _check_arguments(batch_size, validation_steps, steps_per_execution, seed, mixed_precision,
                     pipeline) -> None:  # fmt: skip
    for name, value in (("batch_size", batch_size), ("validation_steps", validation_steps),
                        ("steps_per_execution", steps_per_execution)):  # fmt: skip
        check_positive(name, value)
    check_seed(seed)
    check_policy(mixed_precision)
    check_choice("pipeline", pipeline, (None, *PIPELINES))


def _deterministic_seed(deterministic: bool, seed: int | None) -> int | None:
    """With ``deterministic``, op determinism turned on and ``seed`` (0 if None); else ``seed``."""
    if deterministic:
        enable_determinism()
        return 0 if seed is None else seed
    return seed


def _data_source(pipeline: str | None, dataset: str, output_dir: str, data_dir: str | None):
    """The run's pipeline (``choose_pipeline``), the dataset in memory for the memory
    pipeline (else None) and the dataset's ``info``."""
    pipeline = choose_pipeline(pipeline, dataset, output_dir)
    in_memory = load_in_memory(dataset, data_dir) if pipeline == "memory" else None
    about = in_memory.info() if in_memory else data.info(dataset, data_dir)
    return pipeline, in_memory, about


def choose_pipeline(pipeline: str | None, dataset: str, output_dir: str) -> str:
    """``pipeline``, or by default the one a resumed run started with, else ``"memory"`` for
    the small datasets read from their raw files and ``"tfdata"`` for the others.

    Example:
        >>> choose_pipeline(None, "imagenet2012", "/nonexistent")
        'tfdata'
    """
    # (a bad output_dir is refused with the others, when the run claims it)
    valid = isinstance(output_dir, str | os.PathLike)
    if not valid:
        return pipeline or default_pipeline(dataset)
    recorded = recorded_pipeline(os.path.join(output_dir, "backup"))
    if pipeline is None:
        return recorded or default_pipeline(dataset)
    check_pipeline(output_dir, pipeline, recorded)
    return pipeline


def _check_steps_per_execution(steps_per_execution: int, per_epoch: int) -> None:
    if steps_per_execution > 1 and keras.backend.backend() == "torch":
        raise ValueError(
            "The `steps_per_execution` argument should be 1 on the PyTorch backend of Keras "
            f"(it runs one step per call). Received: steps_per_execution={steps_per_execution}"
        )
    if per_epoch % steps_per_execution:
        raise ValueError(
            f"The `steps_per_execution` argument should divide the epoch's {per_epoch} "
            f"steps, so every epoch ends on a whole call. Received: "
            f"steps_per_execution={steps_per_execution}"
        )


@dataclasses.dataclass
class _Feeds:
    """What ``fit`` trains on and validates with: a tf.data pipeline, or the in-memory stream
    and the test arrays (``validation_batch_size`` then set)."""

    train: object
    validation: object
    validation_batch_size: int | None = None
    seed: int | None = None

    def validation_arguments(self) -> dict:
        arguments = {"validation_data": self.validation}
        if self.validation_batch_size is not None:
            arguments["validation_batch_size"] = self.validation_batch_size
        return arguments

    def evaluate(self, model: keras.Model) -> dict:
        if self.validation_batch_size is None:
            return model.evaluate(self.validation, return_dict=True, verbose=0)
        (x, y), batch = self.validation, self.validation_batch_size
        return model.evaluate(x, y, batch_size=batch, return_dict=True, verbose=0)


def _feeds(recipe, about, in_memory: InMemoryDataset | None, global_batch, data_dir, seed,
           validation_steps, *, start_step: int) -> _Feeds:  # fmt: skip
    """The recipe's training and test data, from ``start_step`` on."""
    classes = about["classes"] if recipe.label_smoothing else None
    if in_memory is not None:
        seed = stream_seed(seed)
        train, validation = feeds(in_memory, batch_size=global_batch, seed=seed,
                                  start_step=start_step, validation_steps=validation_steps,
                                  classes=classes)  # fmt: skip
        return _Feeds(train, validation, global_batch, seed)
    train_ds = data.load(
        recipe.dataset, "train", batch_size=global_batch, training=True, data_dir=data_dir,
        seed=seed, repeat=True, skip=start_step * global_batch,
    )  # fmt: skip
    test_ds = data.load(recipe.dataset, "test", batch_size=global_batch, data_dir=data_dir)
    if validation_steps is not None:
        test_ds = test_ds.take(validation_steps)
    if classes is not None:
        one_hot = lambda x, y: (x, keras.ops.one_hot(y, classes))  # noqa: E731
        train_ds, test_ds = train_ds.map(one_hot), test_ds.map(one_hot)
    return _Feeds(train_ds, test_ds, seed=seed)


def enable_determinism() -> None:
    """TensorFlow's op determinism, and one op at a time: ops that run side by side
    (inter-op parallelism) made two same-seed runs on a busy 2-core machine differ from the
    first epoch; each op still uses every core (intra-op threads). Stays on for the process.

    Example:
        >>> enable_determinism()  # doctest: +SKIP
    """
    try:
        import tensorflow as tf
    except ImportError:  # JAX or PyTorch without TensorFlow: the seed alone decides
        return
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


def _compile(model: keras.Model, recipe: Recipe, about: dict, optimizer, **options) -> None:
    """The recipe's loss and metrics (top-5 where there are more than 10 classes)."""
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
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, **options)


def _compile_all(model, network, recipe: Recipe, about: dict, *, lr_scale: float,
                 steps_per_execution: int):  # fmt: skip
    """Compile the model that trains and, when it wraps ``network``, the network too with
    the same optimizer (its saved files then carry the optimizer state, as the tf.data
    path's do); returns the schedule."""
    optimizer, schedule = _optimizer(recipe, lr_scale)
    _compile(model, recipe, about, optimizer, steps_per_execution=steps_per_execution)
    if network is not model:
        _compile(network, recipe, about, optimizer)
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


def _fit(model, data_feeds: _Feeds, num_epochs: int, per_epoch: int, global_batch: int, *,
         callbacks: tuple, verbose) -> tuple:  # fmt: skip
    """``model.fit`` with the run's callbacks, the images/s meter between the package's own
    and the caller's (``callbacks``: both lists); returns the history and the meter."""
    own, given = callbacks
    throughput = Throughput(global_batch)
    history = model.fit(
        data_feeds.train,
        epochs=num_epochs,
        steps_per_epoch=per_epoch,
        callbacks=[*own, throughput, *given],
        shuffle=False,  # the data is shuffled already
        verbose=verbose,
        **data_feeds.validation_arguments(),
    )
    return history, throughput


def _tested_images(about: dict, validation_steps: int | None, global_batch: int) -> dict:
    """How many test images the metrics describe (``validation_steps`` may take part of the
    split) and how many the split has."""
    split = about["splits"]["test"]
    shown = min(split, validation_steps * global_batch) if validation_steps else split
    return {"test_images": shown, "test_split_images": split}


def _final_metrics(model, data_feeds: _Feeds, recipe, num_epochs, start, throughput) -> dict:
    """Test accuracy and error (top-5 where measured), iterations, time and speed."""
    scores = data_feeds.evaluate(model)
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
    epochs_so_far = read_history(os.path.join(output_dir, "history.csv"))
    # Every epoch's time, across restarts (wall_seconds is this process's alone).
    metrics["training_seconds"] = sum(epochs_so_far.get("epoch_seconds", []))
    write_json_atomic(os.path.join(output_dir, "metrics.json"), metrics)
    plot_error_curves(
        epochs_so_far,
        os.path.join(output_dir, "error.png"),
        title=f"{recipe.name}: test error {100 * metrics['test_error']:.2f}%",
    )

"""``fine_tune``: a pretrained ResNet fine-tuned on a class-per-folder tree of your images, in
the Keras transfer-learning idiom's two phases (the new head alone on the frozen backbone, then
the whole network at a low learning rate with BatchNormalization frozen), with ``train``'s run
folder (``run_claim``): a lock, a foreign folder refused, a finished run not trained again,
every epoch resumable after a kill. Images are read by ``FolderImages`` (Pillow, no
TensorFlow), the held-out split is recorded in ``split.json``.
"""

from __future__ import annotations

import os
import shutil
import time

import keras
import numpy as np

from keras_resnet.data.folder_dataset import FolderImages, fit_feed, split_images
from keras_resnet.data.folder_split import (
    FolderSplit,
    check_validation_split,
    record_split,
    recorded_split,
    same_split,
    split_folder,
)
from keras_resnet.io import write_json_atomic
from keras_resnet.models import default_weights, get_spec
from keras_resnet.models.fused_norm import fuse_batch_norm
from keras_resnet.recipes.callbacks import Throughput, history_columns
from keras_resnet.recipes.folder_evaluation import confusion_matrix, confusion_metrics
from keras_resnet.recipes.plot import plot_confusion, plot_error_curves
from keras_resnet.recipes.process_settings import dtype_policy
from keras_resnet.recipes.run_claim import claim, run_callbacks
from keras_resnet.recipes.run_folder import METRICS, PHASE_BACKUPS, RunFolder
from keras_resnet.recipes.run_options import RunOptions
from keras_resnet.recipes.training import TrainResult, stored_result
from keras_resnet.recipes.transfer import (
    AugmentFolderBatches,
    input_normalization,
    pretrained_backbone,
    set_phase,
    transfer_classifier,
)
from keras_resnet.vocabulary import check_choice, check_positive

#: The name a fine-tuning run's recipe.json and metrics.json carry.
NAME = "fine_tune"
#: What a finished fine-tuning run's metrics.json holds.
FINISHED = ("recipe", "iterations", "epochs", "class_counts")
_CONSTRUCTOR_DEFAULT = "default"


def fine_tune(
    images_dir: str,
    *,
    arch: str = "resnet50",
    weights=_CONSTRUCTOR_DEFAULT,
    output_dir: str | None = None,
    image_size: int = 224,
    batch_size: int = 32,
    epochs: int = 10,
    head_epochs: int | None = None,
    validation_split: float = 0.2,
    seed: int = 0,
    learning_rate: float = 1e-5,
    head_learning_rate: float = 1e-3,
    mixed_precision: str | None = None,
    class_weight: str | None = None,
    workers: int = 1,
    overwrite: bool = False,
    callbacks=(),
    verbose="auto",
    log=print,
) -> TrainResult:
    """Fine-tune ``arch`` (with ``weights``) on ``images_dir`` (one sub-folder per class) and
    write the run to ``output_dir``: ``recipe.json`` (the settings), ``split.json`` (which file
    trains, which is held out), ``history.csv``, ``last.keras`` and ``best.keras`` (carrying
    their class names and their [0, 1] input view, so ``keras-resnet predict``, ``evaluate``
    and ``export`` take them), ``error.png``, ``confusion.png`` and ``metrics.json``
    (held-out accuracy and loss, per-class accuracy, class counts, images/s).

    Args:
        images_dir: A class-per-folder tree; files Pillow cannot decode are skipped and
            named in one warning.
        arch: A model name (``keras_resnet.list_models()``).
        weights: What the constructors take (``"imagenet"``, a zoo tag or name,
            ``"hf://owner/repo"``, None or ``"none"``), or a ``.keras`` / ``.weights.h5``
            file of ``arch`` with any head (e.g. ``keras-resnet train``'s ``best.keras``).
            Default: the constructor's (ImageNet for ResNet-18...152).
        output_dir: The run folder (default ``runs/fine_tune_<folder name>``).
        image_size: Images are resized to ``image_size`` x ``image_size``.
        epochs: Epochs in all; the first ``head_epochs`` (default half, at least one)
            train the head alone, the rest the whole net with BatchNormalization frozen
            (with random weights BN trains: it has no statistics to keep).
        validation_split: The share of each class held out (stratified, seeded by
            ``seed``); 0 holds none out (``best.keras`` then follows training accuracy).
        learning_rate, head_learning_rate: Adam's rates for the whole net and the head.
        mixed_precision: None, "float32", "mixed_float16" or "mixed_bfloat16".
        class_weight: None, or "balanced" (each class weighted by n / (classes x count)).
        workers: Threads that decode batches.
        overwrite: Start a finished run again (otherwise it is returned as stored).

    Example:
        >>> result = fine_tune("photos", arch="resnet18", epochs=4)  # doctest: +SKIP
        >>> result.metrics["validation_accuracy"]  # doctest: +SKIP
        0.94
    """
    start = time.time()
    weights = default_weights(arch) if weights == _CONSTRUCTOR_DEFAULT else weights
    weights = None if isinstance(weights, str) and weights.lower() == "none" else weights
    head_epochs = _check_arguments(arch, image_size, batch_size, epochs, head_epochs, seed,
                                   learning_rate, head_learning_rate, mixed_precision,
                                   class_weight, workers)  # fmt: skip
    validation_split = check_validation_split(validation_split)
    output_dir = output_dir or default_output_dir(images_dir)
    split = split_folder(images_dir, validation_split=validation_split, seed=seed, caller=NAME)
    settings = _settings(images_dir, arch, weights, image_size, batch_size, epochs, head_epochs,
                         validation_split, seed, learning_rate, head_learning_rate,
                         mixed_precision, class_weight)  # fmt: skip
    with claim(output_dir, settings, purpose=f"fine-tuning on {images_dir}",
               required=FINISHED) as run:  # fmt: skip
        if run.finished is not None and not overwrite:
            return stored_result(output_dir, run.finished)
        recorded = recorded_split(output_dir) if run.held and run.finished is None else None
        if recorded is not None:  # a resumed run holds out what it held out
            same_split(recorded, images_dir, validation_split, seed)
            split = recorded
        _log_counts(split, log)
        keras.utils.set_random_seed(seed)  # the new head's weights, dropout
        with dtype_policy(mixed_precision):
            network, backbone, train, held_out = _build(arch, weights, split, image_size,
                                                        batch_size, seed, workers)  # fmt: skip
            fuse_batch_norm(network)  # TensorFlow's fused kernel: the same numbers, faster
            model = AugmentFolderBatches(network, seed=seed)
            plan = _Plan(output_dir, head_epochs, epochs, len(train), held_out is not None,
                         pretrained=weights is not None)  # fmt: skip
            done = plan.resume_point()
            run.begin()
            record_split(split, output_dir)
            fits = dict(train=train, held_out=held_out, class_weight=_class_weights(split,
                        class_weight), callbacks=callbacks, verbose=verbose)  # fmt: skip
            throughput = Throughput(batch_size)
            for phase, rate in (("head", head_learning_rate), ("whole", learning_rate)):
                plan.run_phase(model, network, backbone, phase, rate, done, throughput, **fits)
        metrics = _final_metrics(model, network, held_out, split, plan, start, throughput)
        metrics.update(arch=arch, weights=None if weights is None else str(weights))
        _write_outputs(output_dir, metrics, split)
        # The resume states go only now that metrics.json and the models are written.
        for folder in PHASE_BACKUPS.values():
            shutil.rmtree(os.path.join(output_dir, folder), ignore_errors=True)
        return TrainResult(network, plan.history, metrics, output_dir)


def _check_arguments(arch, image_size, batch_size, epochs, head_epochs, seed, learning_rate,
                     head_learning_rate, mixed_precision, class_weight,
                     workers) -> int:  # fmt: skip
    """Every argument checked before anything is read or written; returns the head epochs."""
    get_spec(arch)  # an unknown name is refused with the close matches
    for name, value in (("image_size", image_size), ("batch_size", batch_size),
                        ("epochs", epochs), ("workers", workers)):  # fmt: skip
        check_positive(name, value, allow_none=False)
    RunOptions(seed=seed, mixed_precision=mixed_precision)  # (epochs, batch: checked above)
    head_epochs = max(1, epochs // 2) if head_epochs is None else head_epochs
    if isinstance(head_epochs, bool) or not isinstance(head_epochs, int):
        head_epochs = -1
    if not 0 <= head_epochs <= epochs:
        raise ValueError(
            f"The `head_epochs` argument should be an integer from 0 to epochs ({epochs}). "
            f"Received: head_epochs={head_epochs!r}"
        )
    for name, value in (("learning_rate", learning_rate),
                        ("head_learning_rate", head_learning_rate)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(
                f"The `{name}` argument should be a positive number. Received: {name}={value!r}"
            )
    check_choice("class_weight", class_weight, (None, "balanced"))
    return head_epochs


def default_output_dir(images_dir) -> str:
    """``runs/fine_tune_<the images folder's name>``.

    Example:
        >>> default_output_dir("data/photos/")
        'runs/fine_tune_photos'
    """
    name = os.path.basename(os.path.normpath(os.fspath(images_dir))) or "images"
    return os.path.join("runs", f"{NAME}_{name}")


def _settings(images_dir, arch, weights, image_size, batch_size, epochs, head_epochs,
              validation_split, seed, learning_rate, head_learning_rate, mixed_precision,
              class_weight) -> dict:  # fmt: skip
    """The run's settings as recipe.json holds them (a rerun with others is refused)."""
    return {
        "name": NAME, "images_dir": os.path.abspath(images_dir), "arch": arch,
        "weights": None if weights is None else os.fspath(weights), "image_size": image_size,
        "batch_size": batch_size, "epochs": epochs, "head_epochs": head_epochs,
        "validation_split": validation_split, "seed": seed, "learning_rate": learning_rate,
        "head_learning_rate": head_learning_rate, "mixed_precision": mixed_precision,
        "class_weight": class_weight,
    }  # fmt: skip


def _log_counts(split: FolderSplit, log) -> None:
    counts = split.counts()
    shown = ", ".join(f"{name} {n_train}+{n_held}" for name, (n_train, n_held) in counts.items())
    log(f"{len(counts)} classes (training + held-out images): {shown}")


def _images_mean(split: FolderSplit, image_size: int, channels: int) -> np.ndarray:
    """The per-channel mean of up to 256 training images spread over the split (fixed, so a
    resumed run builds the same network)."""
    files, labels = split.files("training")
    chosen = np.unique(np.linspace(0, len(files) - 1, min(256, len(files))).astype(int))
    sample = FolderImages([files[i] for i in chosen], [labels[i] for i in chosen],
                          image_size=image_size, channels=channels, batch_size=64)  # fmt: skip
    sums = [sample[i][0][0].astype(np.float64).sum(axis=(0, 1, 2)) for i in range(len(sample))]
    return np.sum(sums, axis=0) / (len(chosen) * image_size * image_size * 255.0)


def _build(arch, weights, split: FolderSplit, image_size, batch_size, seed, workers):
    """The classifier, its backbone, and the training and held-out batches (at the
    backbone's channels: a one-channel network reads images as grey)."""
    backbone, source = pretrained_backbone(arch, weights, image_size)
    channels = backbone.input_shape[-1]
    train, held_out = split_images(split, image_size=image_size, channels=channels,
                                   batch_size=batch_size, seed=seed, workers=workers)  # fmt: skip
    needs_mean = source is None or source.preprocessing.dataset is not None
    mean, std = input_normalization(
        source, _images_mean(split, image_size, channels) if needs_mean else None
    )
    origin = (
        f"fine-tuned by keras_resnet.recipes.fine_tune from {source.name if source else weights}"
    )
    network = transfer_classifier(backbone, split.class_names, mean=mean, std=std,
                                  origin=origin, arch=arch)  # fmt: skip
    return network, backbone, train, held_out


def _class_weights(split: FolderSplit, class_weight: str | None) -> dict | None:
    """Keras' ``class_weight`` for "balanced": n / (classes x count) per class."""
    if class_weight is None:
        return None
    counts = [n_train for n_train, _ in split.counts().values()]
    total = sum(counts)
    return {label: total / (len(counts) * count) for label, count in enumerate(counts)}


class _Plan:
    """The run's two phases over ``epochs`` epochs of ``per_epoch`` iterations: epochs
    ``[0, head_epochs)`` train the head, the rest the whole net. The iteration count runs on
    across phases (the second optimizer starts where the first stopped), so each phase's
    resume state is checked against ``history.csv`` as ``train``'s is."""

    def __init__(self, output_dir: str, head_epochs: int, epochs: int, per_epoch: int,
                 validates: bool, *, pretrained: bool = True):  # fmt: skip
        self.output_dir, self.head_epochs, self.epochs = output_dir, head_epochs, epochs
        self.per_epoch, self.validates, self.pretrained = per_epoch, validates, pretrained
        self.history = keras.callbacks.History()  # (empty where every epoch was done)

    def resume_point(self) -> int:
        """The epochs finished: the second phase's state, else the first's."""
        whole = self.folder("whole").resume_epochs(self.epochs, self.per_epoch)
        return whole or self.folder("head").resume_epochs(self.head_epochs, self.per_epoch)

    def folder(self, phase: str) -> RunFolder:
        """The run folder with ``phase``'s resume state."""
        return RunFolder(self.output_dir, PHASE_BACKUPS[phase])

    def run_phase(self, model, network, backbone, phase: str, learning_rate: float, done: int,
                  throughput, *, train, held_out, class_weight, callbacks,
                  verbose) -> None:  # fmt: skip
        """Compile ``model`` for ``phase`` and train its epochs not yet done; a first phase
        finished earlier only loads its final state (the second starts from it)."""
        first, last = (0, self.head_epochs) if phase == "head" else (self.head_epochs, self.epochs)
        if last == first or done > last:  # no epochs, or the second phase's state stands
            return
        set_phase(backbone, phase, freeze_batch_norm=self.pretrained)  # random BN: it trains
        model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
        model.optimizer.build(model.trainable_variables)
        model.optimizer.iterations.assign(first * self.per_epoch)
        self.folder(phase).check_state_fits(model)  # loads it: refused if it does not fit
        start = max(first, done)
        if start >= last:
            return  # the first phase's final state is loaded
        own = run_callbacks(self.output_dir, self.output_dir, network, backup=PHASE_BACKUPS[phase],
                            monitor="val_accuracy" if self.validates else "accuracy")  # fmt: skip
        held_out = None if held_out is None else fit_feed(held_out, repeat=False)
        self.history = model.fit(
            fit_feed(train, first_epoch=start), epochs=last, initial_epoch=start,
            steps_per_epoch=len(train), validation_data=held_out, class_weight=class_weight,
            callbacks=[*own, throughput, *callbacks], shuffle=False, verbose=verbose,
        )  # fmt: skip


def _final_metrics(model, network, held_out, split: FolderSplit, plan: _Plan, start: float,
                   throughput) -> dict:  # fmt: skip
    """Held-out accuracy and loss, per-class accuracy and the confusion matrix (when images
    are held out), class counts, iterations, time and speed."""
    metrics = {
        "recipe": NAME,
        "iterations": int(model.optimizer.iterations.numpy()),
        "epochs": plan.epochs,
        "head_epochs": plan.head_epochs,
        "class_names": list(split.class_names),
        "class_counts": {
            name: {"training": a, "held_out": b} for name, (a, b) in split.counts().items()
        },
        "wall_seconds": time.time() - start,
        "images_per_second": throughput.images_per_second,
    }
    if held_out is not None:
        scores = model.evaluate(fit_feed(held_out, repeat=False), return_dict=True, verbose=0)
        measured = confusion_metrics(confusion_matrix(network, held_out, len(split.class_names)),
                                     split.class_names)  # fmt: skip
        metrics.update(
            validation_accuracy=measured["accuracy"],
            validation_loss=float(scores["loss"]),
            validation_images=measured["images"],
            per_class_accuracy=measured["per_class_accuracy"],
            confusion=measured["confusion"],
        )
    return metrics


def _write_outputs(output_dir: str, metrics: dict, split: FolderSplit) -> None:
    """metrics.json (with every epoch's time across restarts), error.png and, with a
    held-out split, confusion.png."""
    history = history_columns(os.path.join(output_dir, "history.csv"))
    metrics["training_seconds"] = sum(history.get("epoch_seconds", []))
    write_json_atomic(os.path.join(output_dir, METRICS), metrics)
    accuracy = metrics.get("validation_accuracy")
    shown = "" if accuracy is None else f": held-out error {100 * (1 - accuracy):.2f}%"
    plot_error_curves(history, os.path.join(output_dir, "error.png"), title=f"{NAME}{shown}")
    if "confusion" in metrics:
        plot_confusion(metrics["confusion"], split.class_names,
                       os.path.join(output_dir, "confusion.png"),
                       title=f"held-out images ({metrics['validation_images']})")  # fmt: skip

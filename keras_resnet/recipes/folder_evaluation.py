"""A classifier measured on labelled images: a class-per-folder tree (``evaluate_folder``,
``keras-resnet evaluate MODEL --images DIR``) or a fine-tuning run's held-out split, read by
``FolderImages`` (Pillow, no TensorFlow): accuracy, per-class accuracy, class counts and the
confusion matrix.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_resnet.data.folder_dataset import FolderImages
from keras_resnet.data.images import list_images, readable_files
from keras_resnet.recipes.transfer import AugmentFolderBatches


def confusion_matrix(model: keras.Model, batches: FolderImages, classes: int) -> np.ndarray:
    """Counts of (true class, predicted class) over ``batches`` for ``model`` (a classifier
    of [0, 1] images).

    Example:
        >>> confusion_matrix(model, held_out, classes=5).sum()  # doctest: +SKIP
        100
    """
    scaled = AugmentFolderBatches(model, seed=0)  # scales the uint8 batches, no augmentation
    confusion = np.zeros((classes, classes), np.int64)
    for index in range(len(batches)):
        inputs, labels = batches[index]
        predicted = np.argmax(keras.ops.convert_to_numpy(scaled(inputs, training=False)), -1)
        np.add.at(confusion, (labels, predicted), 1)
    return confusion


def confusion_metrics(confusion: np.ndarray, class_names) -> dict:
    """Accuracy, per-class accuracy (None for a class without images) and class counts of a
    confusion matrix.

    Example:
        >>> m = confusion_metrics(np.array([[3, 1], [0, 4]]), ["a", "b"])
        >>> m["accuracy"], m["per_class_accuracy"], m["class_counts"]
        (0.875, {'a': 0.75, 'b': 1.0}, {'a': 4, 'b': 4})
    """
    counts = confusion.sum(axis=1)
    per_class = {
        name: float(confusion[i, i] / counts[i]) if counts[i] else None
        for i, name in enumerate(class_names)
    }
    total = int(counts.sum())
    return {
        "accuracy": float(np.trace(confusion) / total) if total else 0.0,
        "images": total,
        "per_class_accuracy": per_class,
        "class_counts": {name: int(c) for name, c in zip(class_names, counts, strict=True)},
        "confusion": confusion.tolist(),
    }


def evaluate_folder(model: keras.Model, images_dir: str, *, batch_size: int = 64) -> dict:
    """Accuracy of ``model`` (one that carries its class names, such as ``fine_tune``'s) on
    a class-per-folder tree whose folder names are among its classes; files Pillow cannot
    decode are skipped and named in one warning.

    Example:
        >>> model = recipes.load_model("runs/tuned/best.keras")  # doctest: +SKIP
        >>> evaluate_folder(model, "photos_test")["accuracy"]  # doctest: +SKIP
        0.93
    """
    names = getattr(getattr(model, "checkpoint", None), "class_names", None)
    if not names:
        raise ValueError(
            f"The model {model.name!r} carries no class names, so the folders of "
            f"{images_dir!r} cannot be matched to its outputs: evaluate a model that "
            "keras_resnet.recipes.fine_tune wrote."
        )
    files, labels, folders = list_images(images_dir)
    unknown = [name for name in folders if name not in names]
    if unknown:
        raise ValueError(
            f"The folder {images_dir!r} has classes the model does not know: {unknown[:5]} "
            f"(its classes: {list(names)[:10]}{', ...' if len(names) > 10 else ''})."
        )
    labels = [names.index(folders[label]) for label in labels]
    files, labels = readable_files(files, labels, images_dir, caller="evaluate")
    height, _, channels = model.input_shape[1:]
    batches = FolderImages(files, labels, image_size=height, channels=channels,
                           batch_size=batch_size)  # fmt: skip
    return confusion_metrics(confusion_matrix(model, batches, len(names)), names)

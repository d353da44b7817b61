"""Transfer learning on a user's images: the classifier a pretrained backbone becomes (a new
head, its own input normalisation, its class names carried), and the model trained on
``FolderImages`` batches, which scales them and draws the augmentation inside the compiled step
(the fine-tuning recipe's counterpart of the in-memory path's ``AugmentOnDevice``).
"""

from __future__ import annotations

import os

import keras
import numpy as np

from keras_resnet import models
from keras_resnet.checkpoint import Checkpoint, Preprocessing
from keras_resnet.data.on_device import random_resized_crop_flip
from keras_resnet.models.model import ResNetModel

#: Where a package-built network's features end (its ``include_top`` head starts after it).
FEATURES_LAYER = "avg_pool"


class AugmentFolderBatches(keras.Model):
    """``network`` (which takes [0, 1] images and normalises them itself) fed uint8 batches
    ``(images, positions)``: scaled to [0, 1] and, in training, randomly resized-cropped and
    flipped from ``seed`` and each image's place in the stream (``positions``), so a resumed
    run draws what an uninterrupted one drew.

    Example:
        >>> net = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(),
        ...                         keras.layers.Dense(2)])
        >>> model = AugmentFolderBatches(net, seed=0)
        >>> x = (np.zeros((3, 8, 8, 3), np.uint8), np.arange(3, dtype="int32"))
        >>> tuple(model(x, training=True).shape)
        (3, 2)
    """

    def __init__(self, network: keras.Model, *, seed: int, scale=(0.08, 1.0), **kwargs):
        super().__init__(name=f"{network.name}_folder_augmentation", **kwargs)
        self.network, self.seed, self.scale = network, int(seed), tuple(scale)
        blank = np.zeros((1, *network.input_shape[1:]), "uint8")
        self((blank, np.zeros((1,), "int32")))  # built: BackupAndRestore loads only into that

    def call(self, inputs, training=False):
        images, positions = inputs
        x = keras.ops.cast(images, "float32") / 255.0
        if training:
            x = random_resized_crop_flip(x, self.seed, positions, scale=self.scale)
        return self.network(x, training=training)


def _pretrained_file(path: str, arch: str) -> keras.Model:
    """The model a ``.keras`` file holds, or ``arch`` (with or without its head, as the
    ``.weights.h5`` file has it) filled from a weights file."""
    if path.lower().endswith(".keras"):
        from keras_resnet.models.saved import load_model

        return load_model(path)
    import h5py

    # Keras names a weights file's groups by layer type and order: the stem is the first
    # Conv2D, the classifier (where there is one) the only Dense.
    with h5py.File(path, "r") as handle:
        head = handle.get("layers/dense/vars/1")
        classes = None if head is None else int(head.shape[0])
        stem = handle.get("layers/conv2d/vars/0")
        channels = 3 if stem is None else int(stem.shape[2])
    size = 32 if models.get_spec(arch).family == "cifar" else 224
    shape = (size, size, channels)
    return models.get_model(arch, include_top=classes is not None, classes=classes or 1000,
                            weights=path, input_shape=shape)  # fmt: skip


def pretrained_backbone(
    arch: str, weights, image_size: int
) -> tuple[keras.Model, Checkpoint | None]:
    """``arch`` without its head at ``image_size``, filled from ``weights`` (what the
    constructors take, or a ``.keras`` / ``.weights.h5`` file of ``arch`` with any head, e.g.
    one ``keras-resnet train`` wrote), and the checkpoint its weights came from (None: random).

    Example:
        >>> backbone, source = pretrained_backbone("resnet20", None, 32)
        >>> backbone.output_shape, source
        ((None, 8, 8, 64), None)
    """
    is_file = isinstance(weights, str | os.PathLike) and os.fspath(weights).lower().endswith(
        (".keras", ".weights.h5")
    )
    if not is_file:
        backbone = models.get_model(arch, include_top=False, weights=weights,
                                    input_shape=(image_size, image_size, 3))  # fmt: skip
        return backbone, backbone.checkpoint
    source = _pretrained_file(os.fspath(weights), arch)
    channels = source.input_shape[-1]
    backbone = models.get_model(arch, include_top=False, weights=None,
                                input_shape=(image_size, image_size, channels))  # fmt: skip
    names = {layer.name for layer in source.layers}
    missing = [layer.name for layer in backbone.layers if layer.weights and layer.name not in names]
    if missing:
        raise ValueError(
            f"The file {os.fspath(weights)!r} does not hold a {arch} network: {len(missing)} "
            f"of its layers are missing (e.g. {missing[:3]}). Pass the `arch` it was trained as."
        )
    for layer in backbone.layers:
        if layer.weights:
            layer.set_weights(source.get_layer(layer.name).get_weights())
    return backbone, getattr(source, "checkpoint", None)


def input_normalization(source: Checkpoint | None, images_mean) -> tuple[tuple, tuple]:
    """The (mean, std) a classifier normalises its [0, 1] input with: a pretrained
    checkpoint's own; otherwise (random weights, or a recipe-trained model, whose dataset's
    mean it does not carry) ``images_mean``, the training images' per-channel mean, with std
    1, as section 4.2 subtracts a mean and divides by nothing.

    Example:
        >>> input_normalization(None, [0.25])
        ((0.25,), (1.0,))
    """
    chosen = None if source is None else source.preprocessing
    if chosen is not None and chosen.dataset is None:
        return tuple(chosen.mean), tuple(chosen.std)
    mean = tuple(float(v) for v in np.ravel(images_mean))
    return mean, (1.0,) * len(mean)


def transfer_classifier(backbone: keras.Model, class_names, *, mean, std, origin: str,
                        arch: str, dropout: float = 0.2) -> ResNetModel:  # fmt: skip
    """``backbone`` (called in inference mode, the Keras transfer-learning idiom) with its
    input normalised by ``mean`` / ``std`` and a new softmax head for ``class_names``; it
    carries its checkpoint (its [0, 1] input at the backbone's size, its class names), so
    ``keras-resnet predict``, ``evaluate`` and ``export`` take it as it is.

    Example:
        >>> backbone, _ = pretrained_backbone("resnet20", None, 32)
        >>> model = transfer_classifier(backbone, ["a", "b"], mean=(0.5,) * 3, std=(1.0,) * 3,
        ...                             origin="random weights", arch="resnet20")
        >>> model.output_shape, model.checkpoint.class_names
        ((None, 2), ('a', 'b'))
    """
    height, width, channels = backbone.input_shape[1:]
    inputs = keras.Input((height, width, channels), name="images")
    # (x - mean) / std as a Rescaling: its constants export to every runtime, where a
    # Normalization layer's became inputs of the ONNX graph.
    mean, std = np.asarray(mean, "float32"), np.asarray(std, "float32")
    x = keras.layers.Rescaling(scale=(1 / std).tolist(), offset=(-mean / std).tolist(),
                               name="normalize")(inputs)  # fmt: skip
    x = backbone(x, training=False)
    x = keras.layers.GlobalAveragePooling2D(name=FEATURES_LAYER)(x)
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    mixed = keras.config.dtype_policy().name.startswith("mixed")
    outputs = keras.layers.Dense(len(class_names), activation="softmax", name="predictions",
                                 dtype="float32" if mixed else None)(x)  # fmt: skip
    view = Preprocessing(mean=(0.0,) * channels, std=(1.0,) * channels, crop_pct=1.0,
                         input_size=(channels, height, width))  # fmt: skip
    carried = Checkpoint(name=f"{arch} fine-tuned", arch=arch, num_classes=len(class_names),
                         preprocessing=view, class_names=tuple(class_names),
                         origin=origin)  # fmt: skip
    return ResNetModel(inputs, outputs, checkpoint=carried, name=f"{arch}_fine_tuned")


def set_phase(backbone: keras.Model, phase: str, *, freeze_batch_norm: bool = True) -> None:
    """``"head"``: the backbone frozen; ``"whole"``: trainable but for its
    BatchNormalization layers where ``freeze_batch_norm`` (pretrained statistics: Keras 3's
    ``fit`` trains a backbone called with ``training=False`` in training mode,
    keras-team/keras#20285, while a frozen BN runs in inference mode). Random weights have no
    statistics worth keeping: ``freeze_batch_norm=False`` lets BN train.

    Example:
        >>> backbone, _ = pretrained_backbone("resnet20", None, 32)
        >>> set_phase(backbone, "whole")
        >>> len(backbone.trainable_weights) < len(backbone.weights)
        True
    """
    backbone.trainable = phase == "whole"
    if phase == "whole" and freeze_batch_norm:
        for layer in backbone.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False

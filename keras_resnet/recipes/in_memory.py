"""Training on a dataset held in memory: the network wrapped with section 4.2's preprocessing
and augmentation as its first ops, so they run inside the compiled step, on the device.

The wrapper trains and is backed up (``backup/``); the network inside it is what the run
saves (``last.keras``, ``best.keras``) and returns: the same plain model the tf.data path
gives, expecting the same preprocessed float inputs.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_resnet.data.feed import step_feed
from keras_resnet.data.memory import RAW_FILE_DATASETS, InMemoryDataset, pixel_mean
from keras_resnet.data.on_device import cifar_inputs, pad_crop_flip
from keras_resnet.data.stream import TrainingStream


def default_pipeline(dataset: str) -> str:
    """``"memory"`` for the small datasets read from their raw files, else ``"tfdata"``.

    Example:
        >>> default_pipeline("fashion_mnist"), default_pipeline("imagenet2012")
        ('memory', 'tfdata')
    """
    return "memory" if dataset in RAW_FILE_DATASETS else "tfdata"


class AugmentOnDevice(keras.Model):
    """``network`` fed uint8 batches ``(images, positions)``: [0, 1] minus ``mean``, zero
    padded to ``image_size``, and in training the 4-pixel pad, random crop and (with
    ``flip``) flip drawn from ``seed`` and each image's place in the stream.

    Example:
        >>> net = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten(),
        ...                         keras.layers.Dense(2)])
        >>> model = AugmentOnDevice(net, np.zeros((28, 28, 1)), 32, seed=0, flip=True)
        >>> x = (np.zeros((3, 28, 28, 1), np.uint8), np.arange(3, dtype="int32"))
        >>> tuple(model(x, training=True).shape)
        (3, 2)
    """

    def __init__(self, network: keras.Model, mean: np.ndarray, image_size: int, *,
                 seed: int, flip: bool, **kwargs):  # fmt: skip
        super().__init__(name=f"{network.name}_on_device_augmentation", **kwargs)
        self.network = network
        self.mean = np.asarray(mean, "float32")
        self.image_size, self.seed, self.flip = image_size, int(seed), flip

    def call(self, inputs, training=False):
        images, positions = inputs
        x = cifar_inputs(images, self.mean, self.image_size)
        if training:
            x = pad_crop_flip(x, self.seed, positions, flip=self.flip)
        return self.network(x, training=training)


def stream_seed(seed: int | None) -> int:
    """The stream's seed: ``seed``, or a fresh one for an unseeded run.

    Example:
        >>> stream_seed(3)
        3
    """
    return int(np.random.SeedSequence().entropy % (1 << 31)) if seed is None else seed


def stream_and_test_arrays(dataset: InMemoryDataset, *, batch_size: int, seed: int,
                           start_step: int, validation_steps: int | None,
                           classes: int | None):  # fmt: skip
    """The endless training stream from ``start_step`` on, and the test split as
    ``(images, zero positions), labels`` (its first ``validation_steps`` batches where
    given); ``classes`` one-hot encodes the labels (label smoothing).

    Example:
        >>> import numpy as np
        >>> split = (np.zeros((8, 2, 2, 1), np.uint8), np.arange(8) % 2)
        >>> train, (x, y) = stream_and_test_arrays(
        ...     InMemoryDataset("d", split, split, ("a", "b")), batch_size=4, seed=0,
        ...     start_step=0, validation_steps=1, classes=None)
        >>> x[0].shape, y.tolist()
        ((4, 2, 2, 1), [0, 1, 0, 1])
    """
    # int32 labels: JAX without x64 would truncate int64 ones, with a warning per call.
    train_images, train_labels = dataset.train
    stream = TrainingStream(train_images, train_labels.astype(np.int32), batch_size=batch_size,
                            seed=seed, start_step=start_step, classes=classes)  # fmt: skip
    images, labels = dataset.test[0], dataset.test[1].astype(np.int32)
    if validation_steps is not None:
        images, labels = (
            images[: validation_steps * batch_size],
            labels[: validation_steps * batch_size],
        )
    if classes is not None:
        labels = np.eye(classes, dtype="float32")[labels]
    # Not iter(stream): TensorFlow's fit wraps a generator in from_generator, which slowed
    # ResNet-20's step 1.65x (data/feed.py).
    train = step_feed(stream.batch, start_step)
    return train, ((images, np.zeros(len(labels), np.int32)), labels)


def on_device_model(network: keras.Model, dataset: InMemoryDataset, seed: int) -> AugmentOnDevice:
    """``network`` wrapped to train on ``dataset``'s uint8 batches (mean of its training
    split, its target size and flip), built (BackupAndRestore loads into a built model).

    Example:
        >>> on_device_model(network, dataset, seed=0)  # doctest: +SKIP
    """
    defaults = dataset.defaults
    model = AugmentOnDevice(network, pixel_mean(dataset.train[0]), defaults.image_size,
                            seed=seed, flip=defaults.flip)  # fmt: skip
    model((dataset.train[0][:1], np.zeros(1, np.int32)))
    return model

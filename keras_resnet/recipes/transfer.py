"""Transfer learning on a user's images: the model trained on ``FolderImages`` batches, which
scales them and draws the augmentation inside the compiled step (the fine-tuning recipe's
counterpart of the in-memory path's ``AugmentOnDevice``).
"""

from __future__ import annotations

import keras

from keras_resnet.data.on_device import random_resized_crop_flip


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

    def call(self, inputs, training=False):
        images, positions = inputs
        x = keras.ops.cast(images, "float32") / 255.0
        if training:
            x = random_resized_crop_flip(x, self.seed, positions, scale=self.scale)
        return self.network(x, training=training)

"""``ResNetModel``: a Functional ``keras.Model`` that carries its checkpoint.

The checkpoint (a ``keras_resnet.zoo.Checkpoint``: where the weights came from, their
preprocessing and class names) is ``model.checkpoint``, as timm's ``model.pretrained_cfg``. It
is part of the model's config, so it survives ``model.save(...)`` /
``keras.saving.load_model(...)`` (after ``import keras_resnet``, which registers the class).
"""

from __future__ import annotations

import keras

from keras_resnet.checkpoint import Checkpoint


@keras.saving.register_keras_serializable(package="keras_resnet")
class ResNetModel(keras.Model):
    """A Functional model with a ``checkpoint`` attribute (None for random weights).

    Build it as any Functional model: ``ResNetModel(inputs, outputs, checkpoint=...)``.
    Every constructor of this package returns one; ``recipes.train`` sets the checkpoint of
    the model it trains (the dataset whose preprocessing it learnt, its class names), and
    a fine-tuned classifier can carry its own the same way.

    Example:
        >>> from keras_resnet.zoo import Checkpoint, Preprocessing
        >>> inputs = keras.Input((4,))
        >>> c = Checkpoint("my_run", "dense", preprocessing=Preprocessing(dataset="mnist"),
        ...                num_classes=2, class_names=("a", "b"))
        >>> model = ResNetModel(inputs, keras.layers.Dense(2)(inputs), checkpoint=c)
        >>> model.checkpoint.class_names
        ('a', 'b')
        >>> ResNetModel.from_config(model.get_config()).checkpoint == c
        True
    """

    def __init__(self, *args, checkpoint: Checkpoint | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.checkpoint = checkpoint

    def get_config(self) -> dict:
        config = super().get_config()
        checkpoint = getattr(self, "checkpoint", None)
        config["checkpoint"] = None if checkpoint is None else checkpoint.to_dict()
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        checkpoint = config.pop("checkpoint", None)
        model = super().from_config(config, custom_objects=custom_objects)
        model.checkpoint = None if checkpoint is None else Checkpoint.from_dict(checkpoint)
        return model

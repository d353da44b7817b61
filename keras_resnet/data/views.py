"""How an evaluation image becomes a model's input, chosen by the dataset's style and the
checkpoint's preprocessing.

``data.load`` (evaluation), ``recipes.evaluate`` and ``recipes.predict_files`` all call
``evaluation_view``: CIFAR-like data keeps its padded, mean-subtracted image; ImageNet-like
data gets the checkpoint's own view when the model carries a pretrained checkpoint (or one
is given), else the paper's (shorter side 256, centre crop, mean subtraction).
"""

from __future__ import annotations

from collections.abc import Callable

from keras_resnet.checkpoint import preprocessing_dict
from keras_resnet.data import transforms
from keras_resnet.data.catalog import CIFAR_STYLE


def evaluation_view(style: str, *, size: int, preprocessing=None) -> Callable:
    """A function from an image as ``data.decoded`` yields it to the model's input.

    ``style`` is the dataset's (``DatasetDefaults.style``); ``preprocessing`` anything
    ``preprocessing_dict`` takes. A checkpoint trained by ``keras_resnet.recipes`` names its
    ``dataset``: its images then get that dataset's own view, as here.

    Example:
        >>> import tensorflow as tf
        >>> view = evaluation_view("imagenet", size=224, preprocessing={"crop_pct": 1.0})
        >>> view(tf.zeros((300, 400, 3))).shape
        TensorShape([224, 224, 3])
    """
    # Read for every style, so a `preprocessing` that names none is refused even for CIFAR.
    checkpoint_view = preprocessing_dict(preprocessing)
    if style == CIFAR_STYLE:
        return lambda image: image
    if checkpoint_view and "dataset" not in checkpoint_view:
        return lambda image: transforms.checkpoint_eval(image, checkpoint_view)
    return lambda image: transforms.imagenet_eval(image, size=size)

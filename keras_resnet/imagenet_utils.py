"""ImageNet helpers in keras.applications' shape: ``preprocess_input``, ``decode_predictions``.

The class index ships inside the package (``imagenet_class_index.json``, made from
tensorflow-datasets' files by ``weights/make_class_index.py``), so decoding never downloads.
Names are keras.applications' style (first WordNet synonym, underscores); the two pairs of
homonyms keep their disambiguation (``crane_(bird)`` / ``crane_(machine)``).
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import keras
import numpy as np

from keras_resnet.vocabulary import IMAGENET_MEAN, IMAGENET_STD
from keras_resnet.zoo import registry

CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_MODES = ("caffe", "torch")


@functools.cache
def class_index() -> list[tuple[str, str]]:
    """The 1000 ImageNet classes as ``(wordnet_id, name)`` in the checkpoints' label order.

    Example:
        >>> class_index()[281]
        ('n02123045', 'tabby')
    """
    text = resources.files("keras_resnet").joinpath("imagenet_class_index.json").read_text()
    index = json.loads(text)
    return [tuple(index[str(i)]) for i in range(len(index))]


def decode_predictions(preds, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` classes of each row of ImageNet scores, best first.

    Args:
        preds: Scores of shape ``(samples, 1000)`` (probabilities or logits).
        top: How many classes to return per sample.

    Returns:
        One list per sample of ``(wordnet_id, class_name, score)`` tuples.

    Example:
        >>> scores = np.zeros((1, 1000)); scores[0, 281] = 0.9
        >>> decode_predictions(scores, top=1)
        [[('n02123045', 'tabby', 0.9)]]
    """
    preds = np.asarray(keras.ops.convert_to_numpy(preds))
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            f"(samples, 1000)). Received array with shape: {preds.shape}"
        )
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 1000:
        raise ValueError(f"The `top` argument should be in [1, 1000]. Received: top={top!r}")
    names = class_index()
    results = []
    for row in preds:
        best = np.argsort(-row, kind="stable")[:top]
        results.append([(*names[i], float(row[i])) for i in best])
    return results


def _normalization(weights: str) -> tuple[str, tuple, tuple]:
    """(mode, mean, std) for what ``preprocess_input``'s ``weights`` names."""
    if weights == "caffe":
        return "caffe", CAFFE_MEAN_BGR, (1.0, 1.0, 1.0)
    if weights == "torch":
        return "torch", IMAGENET_MEAN, IMAGENET_STD
    checkpoints = [registry.get(name) for name in registry.list_weights()]
    tag = registry.tag_of(weights)
    matching = [c for c in checkpoints if weights == c.name or tag == c.tag]
    if not matching:
        tags = sorted({c.tag for c in checkpoints})
        raise ValueError(
            "The `weights` argument of `preprocess_input` should be 'imagenet', a checkpoint "
            f"tag {tags} or name, 'caffe' (keras.applications weights) or 'torch'. "
            f"Received: weights={weights!r}"
        )
    return "torch", matching[0].preprocessing.mean, matching[0].preprocessing.std


def _model_normalization(model) -> tuple[str, tuple, tuple]:
    checkpoint = getattr(model, "checkpoint", None)
    if checkpoint is None:
        raise ValueError(
            "The `model` argument of `preprocess_input` should carry a pretrained checkpoint "
            "(a model built with `weights=`); this one has random or unknown weights. Pass "
            f"`weights=` instead. Received: model={getattr(model, 'name', model)!r}"
        )
    if checkpoint.preprocessing.dataset is not None:
        raise ValueError(
            f"The model was trained by keras_resnet on {checkpoint.preprocessing.dataset!r}: "
            "its inputs come from that dataset's pipeline "
            f"(keras_resnet.data.load({checkpoint.preprocessing.dataset!r}, ...) or "
            "recipes.predict_files), not from `preprocess_input`."
        )
    return "torch", checkpoint.preprocessing.mean, checkpoint.preprocessing.std


def preprocess_input(x, weights: str = "imagenet", *, model=None):
    """Normalise RGB images in [0, 255] the way the chosen checkpoint was trained.

    Zoo checkpoints (timm/torchvision) take ``(x / 255 - mean) / std`` with their own mean
    and std; ``weights="caffe"`` gives keras.applications' ResNet preprocessing (RGB -> BGR,
    minus the ImageNet BGR mean) for weights converted from the paper's Caffe models.
    Resizing and cropping are up to the caller (``keras_resnet.data`` does both).

    Args:
        x: Images, channels last, RGB, values in [0, 255]; numpy array or tensor.
        weights: ``"imagenet"``, a tag (``"a1_in1k"``), a checkpoint name, ``"caffe"`` or
            ``"torch"``.
        model: A model that carries its pretrained checkpoint (built with ``weights=``):
            its checkpoint's mean and std, instead of ``weights``.

    Example:
        >>> preprocess_input(np.full((1, 1, 1, 3), 255.0), weights="caffe")[0, 0, 0].round(2)
        array([151.06, 138.22, 131.32], dtype=float32)
    """
    if model is not None:
        mode, mean, std = _model_normalization(model)
    else:
        mode, mean, std = _normalization(weights)
    as_numpy = isinstance(x, (np.ndarray, list, tuple, float, int))
    x = keras.ops.cast(keras.ops.convert_to_tensor(x), "float32")
    if len(x.shape) and x.shape[-1] not in (None, 3):
        raise ValueError(
            "The `x` argument should hold RGB images, channels last (a last axis of 3). "
            f"Received: x of shape {tuple(x.shape)}"
        )
    if mode == "caffe":
        x = keras.ops.flip(x, axis=-1) - np.array(mean, "float32")
    else:
        x = (x / 255.0 - np.array(mean, "float32")) / np.array(std, "float32")
    return keras.ops.convert_to_numpy(x) if as_numpy else x

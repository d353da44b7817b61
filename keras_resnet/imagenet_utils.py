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
    candidates = [
        name
        for name in registry.list_weights()
        if weights in (name, registry.weights_info(name)["tag"])
        or (weights == "imagenet" and registry.weights_info(name)["tag"] == registry.default_tag())
    ]
    if not candidates:
        tags = sorted({registry.weights_info(n)["tag"] for n in registry.list_weights()})
        raise ValueError(
            "The `weights` argument of `preprocess_input` should be 'imagenet', a checkpoint "
            f"tag {tags} or name, 'caffe' (keras.applications weights) or 'torch'. "
            f"Received: weights={weights!r}"
        )
    info = registry.weights_info(candidates[0])["preprocessing"]
    return "torch", tuple(info["mean"]), tuple(info["std"])


def preprocess_input(x, weights: str = "imagenet"):
    """Normalise RGB images in [0, 255] the way the chosen checkpoint was trained.

    Zoo checkpoints (timm/torchvision) take ``(x / 255 - mean) / std`` with their own mean
    and std; ``weights="caffe"`` gives keras.applications' ResNet preprocessing (RGB -> BGR,
    minus the ImageNet BGR mean) for weights converted from the paper's Caffe models.
    Resizing and cropping are up to the caller (``keras_resnet.data`` does both).

    Args:
        x: Images, channels last, RGB, values in [0, 255]; numpy array or tensor.
        weights: ``"imagenet"``, a tag (``"a1_in1k"``), a checkpoint name, ``"caffe"`` or
            ``"torch"``.

    Example:
        >>> preprocess_input(np.full((1, 1, 1, 3), 255.0), weights="caffe")[0, 0, 0].round(2)
        array([151.06, 138.22, 131.32], dtype=float32)
    """
    mode, mean, std = _normalization(weights)
    as_numpy = isinstance(x, (np.ndarray, list, tuple, float, int))
    x = keras.ops.cast(keras.ops.convert_to_tensor(x), "float32")
    if mode == "caffe":
        x = keras.ops.flip(x, axis=-1) - np.array(mean, "float32")
    else:
        x = (x / 255.0 - np.array(mean, "float32")) / np.array(std, "float32")
    return keras.ops.convert_to_numpy(x) if as_numpy else x

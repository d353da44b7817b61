"""Training recipes: the paper's setups as data, trained with ``model.fit``.

``evaluate`` (tf.data views) loads TensorFlow when called, ``predict_files`` when first used
(PEP 562); ``train`` and ``study`` need it only for the tf.data pipeline.

Example:
    >>> from keras_resnet import recipes
    >>> recipes.get("cifar10_resnet20").lr_boundaries
    (32000, 48000)
"""

import importlib

from keras_resnet.models.saved import load_model
from keras_resnet.recipes.evaluate import evaluate
from keras_resnet.recipes.recipe import Recipe
from keras_resnet.recipes.registry import family_recipe, get, list_recipes, register
from keras_resnet.recipes.study import StudyResult, study, summarize
from keras_resnet.recipes.train import TrainResult, train
from keras_resnet.schedules import PaperSchedule, WarmupUntilError

#: The names whose modules need TensorFlow, and the module of each.
_LAZY = {"Prediction": "predict", "predict_files": "predict"}

__all__ = [
    "PaperSchedule",
    "Prediction",
    "Recipe",
    "StudyResult",
    "TrainResult",
    "WarmupUntilError",
    "evaluate",
    "family_recipe",
    "get",
    "list_recipes",
    "load_model",
    "predict_files",
    "register",
    "study",
    "summarize",
    "train",
]


def __getattr__(name: str):
    """Import ``predict_files``, ``Prediction`` or a submodule when first used.

    Example:
        >>> from keras_resnet import recipes
        >>> recipes.predict_files.__name__
        'predict_files'
    """
    if name in _LAZY:
        return getattr(importlib.import_module(f"keras_resnet.recipes.{_LAZY[name]}"), name)
    try:
        return importlib.import_module(f"keras_resnet.recipes.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"keras_resnet.recipes.{name}":
            raise
    raise AttributeError(f"module 'keras_resnet.recipes' has no attribute {name!r}")

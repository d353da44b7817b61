"""Training recipes: the paper's setups as data, trained with ``model.fit``.

None of it imports TensorFlow: ``train``, ``study``, ``evaluate`` and ``predict_files`` load it
only for the tf.data pipelines, TFDS datasets and ImageNet-style views.

Example:
    >>> from keras_resnet import recipes
    >>> recipes.get("cifar10_resnet20").lr_boundaries
    (32000, 48000)
"""

from keras_resnet.lazy import attribute
from keras_resnet.models.saved import load_model
from keras_resnet.recipes.evaluate import evaluate
from keras_resnet.recipes.predict import Prediction, predict_files
from keras_resnet.recipes.recipe import Recipe
from keras_resnet.recipes.registry import family_recipe, get, list_recipes, register
from keras_resnet.recipes.study import StudyResult, study, summarize
from keras_resnet.recipes.train import TrainResult, train
from keras_resnet.schedules import PaperSchedule, WarmupUntilError

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
    """Import a submodule when first used (``recipes.run_folder``).

    Example:
        >>> from keras_resnet import recipes
        >>> recipes.run_folder.__name__
        'keras_resnet.recipes.run_folder'
    """
    return attribute(__name__, name, {})

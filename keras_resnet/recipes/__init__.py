"""Training recipes: the paper's setups as data, trained with ``model.fit``.

Names load on first use (PEP 562): the recipes themselves (``get``, ``list_recipes``,
``Recipe``) need no Keras, so ``keras-resnet recipes`` answers at once; ``train``, ``study``,
``evaluate`` and ``predict_files`` load Keras, and TensorFlow only for the tf.data pipelines,
TFDS datasets and ImageNet-style views.

Example:
    >>> from keras_resnet import recipes
    >>> recipes.get("cifar10_resnet20").lr_boundaries
    (32000, 48000)
"""

from keras_resnet.lazy import accessors

#: Each public name and the module that defines it.
_WHERE = {
    "PaperSchedule": "keras_resnet.schedules",
    "WarmupUntilError": "keras_resnet.schedules",
    "load_model": "keras_resnet.models.saved",
    "Prediction": "predict",
    "predict_files": "predict",
    "Recipe": "recipe",
    "family_recipe": "registry",
    "get": "registry",
    "list_recipes": "registry",
    "register": "registry",
    "StudyResult": "depth_study",
    "study": "depth_study",
    "summarize": "depth_claims",
    "TrainResult": "training",
    "train": "training",
    "evaluate": "evaluation",
    "evaluate_folder": "folder_evaluation",
    "fine_tune": "fine_tuning",
}

__all__ = sorted(_WHERE)


__getattr__, __dir__ = accessors(__name__, _WHERE, __all__)

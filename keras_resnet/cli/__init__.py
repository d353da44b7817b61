"""The ``keras-resnet`` console script: ``commands`` (models, recipes, train, study, evaluate,
predict) and ``weights`` (the zoo's list, info, download, convert).

Example:
    $ keras-resnet --version
    $ keras-resnet models --count
"""

from keras_resnet.cli.commands import build_parser, main, models_table

__all__ = ["build_parser", "main", "models_table"]

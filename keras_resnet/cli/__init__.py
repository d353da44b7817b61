"""The ``keras-resnet`` console script: ``commands`` (models, recipes, train, study, evaluate,
predict) and ``weights`` (the zoo's list, info, download, convert).

Example:
    $ keras-resnet --version
    $ keras-resnet models --count
"""

from keras_resnet.cli.commands import main, models_table
from keras_resnet.cli.parser import build_parser

__all__ = ["build_parser", "main", "models_table"]

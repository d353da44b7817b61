"""``python -m keras_resnet.cli``: the console script."""

import sys

from keras_resnet.cli.commands import main

if __name__ == "__main__":
    sys.exit(main())

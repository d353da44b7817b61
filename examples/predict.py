"""Classify images with a trained model.

    python examples/predict.py runs/demo/best.keras shirt.png --dataset fashion_mnist

The model's own checkpoint says how to prepare images and what the classes are called (a
model trained by keras_resnet.recipes or examples/fine_tune.py, or one built with pretrained
weights); ``--dataset`` overrides it. Unreadable files are reported and skipped.
"""

from __future__ import annotations

import argparse
import sys

from keras_resnet import recipes
from keras_resnet.errors import run_script


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a .keras file")
    parser.add_argument("images", nargs="+")
    parser.add_argument("--dataset", help="the dataset the model was trained on")
    parser.add_argument("--data-dir", help="tensorflow-datasets data directory")
    parser.add_argument("--top", type=int, default=3)
    args = parser.parse_args(argv)
    model = recipes.load_model(args.model)
    predictions = recipes.predict_files(
        model, args.images, dataset=args.dataset, data_dir=args.data_dir, top=args.top
    )
    for p in predictions:
        if p.error:
            print(f"{p.path}: {p.error}", file=sys.stderr)
        else:
            print(
                f"{p.path}: " + ", ".join(f"{name} ({score:.2f})" for _, name, score in p.classes)
            )
    return 0 if any(not p.error for p in predictions) else 1


if __name__ == "__main__":
    sys.exit(run_script(main))

"""Fine-tune a pretrained ResNet on your own class-per-folder images with ``recipes.fine_tune``.

    python examples/fine_tune.py photos/ --arch resnet50 --output runs/photos
    python examples/fine_tune.py photos/ --arch resnet50 --weights a1_in1k --epochs 6

``photos/`` holds one sub-folder per class. The recipe holds out a seeded 20% of each class,
trains the new head on the frozen backbone, then the whole network at a low learning rate with
BatchNormalization frozen (the Keras transfer-learning idiom), and writes a resumable run
folder: kill it and run the same command again to go on. ``--weights`` is what the
constructor takes: ``imagenet`` (the default for ResNet-18...152), a zoo tag or name,
``hf://owner/repo``, ``none``, or a ``.keras`` / ``.weights.h5`` file of the same model with
any head. The script then prints the held-out accuracy per class and classifies one
held-out image with the saved ``best.keras`` (which carries its class names and input view).
``keras-resnet finetune`` is the same recipe as a command.
"""

from __future__ import annotations

import argparse
import sys

import keras_resnet  # noqa: F401  first: it starts Keras without TensorFlow's start-up lines
from keras_resnet.cli.checks import positive_int
from keras_resnet.errors import run_script


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", help="a folder with one sub-folder of images per class")
    parser.add_argument("--arch", default="resnet50", help="model name (default: resnet50)")
    parser.add_argument("--weights", default="default", help="backbone weights (see above)")
    parser.add_argument("--image-size", type=positive_int, default=224)
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--epochs", type=positive_int, default=10, help="both phases together")
    parser.add_argument("--output", default="runs/fine_tuned", help="the run folder")
    args = parser.parse_args(argv)
    from keras_resnet import recipes
    from keras_resnet.data.folder_split import recorded_split

    result = recipes.fine_tune(
        args.images, arch=args.arch, weights=args.weights, image_size=args.image_size,
        batch_size=args.batch_size, epochs=args.epochs, output_dir=args.output, verbose=2,
    )  # fmt: skip
    metrics = result.metrics
    for name, accuracy in metrics["per_class_accuracy"].items():
        print(f"{name}: {100 * accuracy:.1f}% of {metrics['class_counts'][name]['held_out']}")
    best = recipes.load_model(f"{args.output}/best.keras")
    held_out = recorded_split(args.output).files("validation")[0][0]  # its split.json
    prediction = recipes.predict_files(best, [held_out], top=2)[0]
    print(f"{held_out}: " + ", ".join(f"{n} {p:.3f}" for _, n, p in prediction.classes))
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))

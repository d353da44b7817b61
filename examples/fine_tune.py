"""Transfer learning to your own class-per-folder images (the Keras transfer-learning idiom).

1. A ResNet backbone with a new head; the backbone frozen and run in inference mode (its
   BatchNormalization statistics stay as they were), only the head trains.
2. Then the whole network unfrozen, except its BatchNormalization layers (frozen BN runs in
   inference mode), and trained at a low learning rate.

    python examples/fine_tune.py photos/ --arch resnet50 --output tuned.keras
    python examples/fine_tune.py photos/ --arch resnet50 --weights a1_in1k

``photos/`` holds one sub-folder per class. ``--weights`` is what the constructor takes:
``imagenet`` (the default for ResNet-18...152), a zoo tag or name, ``hf://owner/repo``, a
weights file of the same architecture without its head, or ``none`` (random). With zoo
weights the model normalises its [0, 1] input with the checkpoint's own mean and std.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import keras_resnet  # first: it starts Keras without TensorFlow's start-up lines
from keras_resnet import data, zoo
from keras_resnet.cli.checks import positive_int
from keras_resnet.errors import run_script
from keras_resnet.io import check_writable
from keras_resnet.models import default_weights


def build(arch: str, class_names, size: int, weights):
    """A classifier and its backbone; the backbone is called with training=False.

    The classifier carries its own checkpoint (``model.checkpoint``): [0, 1] images resized
    to ``size`` (it normalises them itself) and its class names, so ``recipes.predict_files``
    and ``keras-resnet predict`` prepare images and name classes as it was trained.
    """
    import keras

    backbone = keras_resnet.get_model(
        arch, include_top=False, weights=weights, input_shape=(size, size, 3)
    )
    inputs = x = keras.Input((size, size, 3))
    pretrained = backbone.checkpoint  # the zoo checkpoint the weights came from, or None
    if pretrained is not None:
        mean, std = np.array(pretrained.preprocessing.mean), np.array(pretrained.preprocessing.std)
        x = keras.layers.Normalization(mean=mean, variance=std**2, name="normalize")(x)
    x = backbone(x, training=False)  # the Keras guide's idiom; see below for BN
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(len(class_names), activation="softmax", name="predictions")(x)
    carried = zoo.Checkpoint(
        name=f"{arch} fine-tuned",
        arch=arch,
        num_classes=len(class_names),
        preprocessing=zoo.Preprocessing(
            mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), crop_pct=1.0, input_size=(3, size, size)
        ),
        class_names=tuple(class_names),
        origin=f"examples/fine_tune.py from {pretrained.name if pretrained else 'random weights'}",
    )
    return keras_resnet.ResNetModel(inputs, outputs, checkpoint=carried), backbone


def check_output(path: str) -> str:
    """Refuse an ``--output`` the trained model could not be saved to, before training."""
    if not path.endswith(".keras"):
        raise ValueError(f"--output should be a .keras file. Received: --output {path!r}")
    check_writable(path, "--output")  # a folder there, or a file where a folder should be
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", help="a folder with one sub-folder of images per class")
    parser.add_argument("--arch", default="resnet50", help="model name (default: resnet50)")
    parser.add_argument(
        "--weights",
        help="backbone weights: imagenet, a zoo tag/name, hf://owner/repo, a file, or none "
        "(default: the constructor's, i.e. imagenet for ResNet-18...152, none for CIFAR nets)",
    )
    parser.add_argument("--image-size", type=positive_int, default=224)
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--head-epochs", type=positive_int, default=5)
    parser.add_argument("--tune-epochs", type=positive_int, default=5)
    parser.add_argument("--output", default="fine_tuned.keras", help="a .keras file to write")
    args = parser.parse_args(argv)
    check_output(args.output)
    import keras

    train = data.from_directory(args.images, image_size=args.image_size,
                                batch_size=args.batch_size, training=True, seed=0)  # fmt: skip
    weights = default_weights(args.arch) if args.weights is None else args.weights
    weights = None if str(weights).lower() == "none" else weights
    model, backbone = build(args.arch, train.class_names, args.image_size, weights)

    backbone.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    # The dataset shuffles itself (shuffle=True would only make fit() warn).
    model.fit(train, epochs=args.head_epochs, shuffle=False, verbose=2)

    backbone.trainable = True
    # Keras 3's fit() overrides the training=False given when the backbone was called
    # (keras-team/keras#20285); a frozen BatchNormalization does run in inference mode.
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(1e-5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    history = model.fit(train, epochs=args.tune_epochs, shuffle=False, verbose=2)
    model.save(args.output)
    print(f"classes {train.class_names}; final training accuracy "
          f"{history.history['accuracy'][-1]:.3f}; saved {args.output}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))

"""Transfer learning to your own class-per-folder images (the Keras transfer-learning idiom).

1. A ResNet backbone with a new head; the backbone frozen and run in inference mode (its
   BatchNormalization statistics stay as they were), only the head trains.
2. Then the whole network unfrozen and trained at a low learning rate.

    python examples/fine_tune.py photos/ --weights backbone.weights.h5 --output tuned.keras

``photos/`` holds one sub-folder per class. ``--weights`` takes a .weights.h5/.keras file of
the same architecture without its head (pretrained ImageNet weights arrive with the zoo).
"""

from __future__ import annotations

import argparse

import keras

import keras_resnet
from keras_resnet import data


def build(arch: str, classes: int, size: int, weights) -> tuple[keras.Model, keras.Model]:
    """A classifier and its backbone; the backbone is called with training=False."""
    backbone = keras_resnet.get_model(
        arch, include_top=False, weights=weights, input_shape=(size, size, 3)
    )
    inputs = keras.Input((size, size, 3))
    x = backbone(inputs, training=False)  # BN in inference mode, even once unfrozen
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs), backbone


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", help="a folder with one sub-folder of images per class")
    parser.add_argument("--arch", default="resnet50", help="model name (default: resnet50)")
    parser.add_argument("--weights", help="backbone weights file (default: random)")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--head-epochs", type=int, default=5)
    parser.add_argument("--tune-epochs", type=int, default=5)
    parser.add_argument("--output", default="fine_tuned.keras")
    args = parser.parse_args(argv)

    train = data.from_directory(args.images, image_size=args.image_size,
                                batch_size=args.batch_size, training=True, seed=0)  # fmt: skip
    model, backbone = build(args.arch, len(train.class_names), args.image_size, args.weights)

    backbone.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    model.fit(train, epochs=args.head_epochs, verbose=2)

    backbone.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(1e-5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    history = model.fit(train, epochs=args.tune_epochs, verbose=2)
    model.save(args.output)
    print(f"classes {train.class_names}; final training accuracy "
          f"{history.history['accuracy'][-1]:.3f}; saved {args.output}")  # fmt: skip


if __name__ == "__main__":
    main()

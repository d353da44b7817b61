"""Is input ever the bottleneck? Fashion-MNIST training pipeline vs ResNet-20 training speed.

Measures, in one process, the images/s that ``keras_resnet.data.load("fashion_mnist")``
delivers for training (augmentation on, cache warm) and the images/s at which ResNet-20
trains on such batches (SGD, batch 128), and prints their ratio. Goal: at least 3x.

    python bench/data.py [--data-dir DIR] [--steps 40]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import tensorflow as tf

import keras_resnet
from keras_resnet import data


def pipeline_rate(ds: tf.data.Dataset, batches: int) -> float:
    iterator = iter(ds)
    next(iterator)
    start = time.perf_counter()
    images = sum(int(next(iterator)[0].shape[0]) for _ in range(batches))
    return images / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--steps", type=int, default=40, help="training steps timed")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    ds = data.load(
        "fashion_mnist", batch_size=args.batch_size, data_dir=args.data_dir, seed=0, repeat=True
    )
    for _ in ds.take(470):  # one pass fills the cache; the timed passes read from memory
        pass
    input_rate = pipeline_rate(ds, 400)

    model = keras_resnet.ResNet20(input_shape=(32, 32, 1), classes=10)
    model.compile(
        optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
        loss="sparse_categorical_crossentropy",
    )
    images, labels = next(iter(ds))
    batch = tf.data.Dataset.from_tensors((images, labels)).repeat()
    model.fit(batch, steps_per_epoch=5, epochs=1, verbose=0)  # trace
    start = time.perf_counter()
    model.fit(batch, steps_per_epoch=args.steps, epochs=1, verbose=0)
    train_rate = args.steps * args.batch_size / (time.perf_counter() - start)

    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, TF {tf.__version__}, "
        f"batch {args.batch_size}"
    )
    print(f"fashion_mnist training pipeline: {input_rate:8.0f} img/s")
    print(f"ResNet-20 training step:         {train_rate:8.0f} img/s")
    print(f"ratio (input / training):        {input_rate / train_rate:8.1f}x")


if __name__ == "__main__":
    main()

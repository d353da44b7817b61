"""Which loader feeds fine-tuning on a user's class-per-folder images without TensorFlow?

Writes a folder of real images (Fashion-MNIST test images upscaled to ``--source-size`` px
RGB JPEGs, quality 90, about the decode cost of a phone photo shrunk for training), then
reads one epoch of it at ``--image-size`` px, batch 32, through each loader, and prints
images/s and the ratio to Keras' tf.data loader (``image_dataset_from_directory``, the
plain Keras idiom) measured in the same run:

- tf.data: ``keras.utils.image_dataset_from_directory(..., format="tf")`` (needs TensorFlow);
- grain: the same with ``format="grain"`` (the grain package; Keras 3.15+);
- FolderImages: ``keras_resnet.data.folder_dataset`` (Pillow, ``keras.utils.PyDataset``
  workers: 1 thread, 2 threads, 2 processes).

    python bench/folder_loading.py [--images 2000] [--image-size 160] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from PIL import Image

from keras_resnet.data import folder_split
from keras_resnet.data.folder_dataset import FolderImages
from keras_resnet.data.memory import arrays


def write_folder(root: str, count: int, source_size: int) -> None:
    images, labels = arrays("fashion_mnist", "test")
    for index in range(count):
        folder = os.path.join(root, f"class_{labels[index]}")
        os.makedirs(folder, exist_ok=True)
        picture = Image.fromarray(images[index, ..., 0]).convert("RGB")
        picture = picture.resize((source_size, source_size), Image.Resampling.BILINEAR)
        picture.save(os.path.join(folder, f"{index:05d}.jpg"), quality=90)


def keras_loader(root: str, size: int, batch: int, format: str):
    import keras

    return keras.utils.image_dataset_from_directory(
        root, image_size=(size, size), batch_size=batch, shuffle=True, seed=0, format=format,
        verbose=False,
    )  # fmt: skip


def folder_images(root: str, size: int, batch: int, workers: int, processes: bool):
    files, labels = folder_split.split_folder(root, validation_split=0).files("training")
    return FolderImages(files, labels, image_size=size, batch_size=batch, shuffle=True,
                        workers=workers, use_multiprocessing=processes)  # fmt: skip


def epoch_rate(make) -> float:
    """Images/s of one full pass (the loader made anew, as an epoch of fit reads it)."""
    from keras.src.trainers.data_adapters import get_data_adapter  # what fit reads through

    loader = make()
    start = time.perf_counter()
    seen = sum(len(batch[1]) for batch in get_data_adapter(loader).get_numpy_iterator())
    return seen / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--source-size", type=int, default=480)
    parser.add_argument("--image-size", type=int, default=160)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="folder_bench_")
    write_folder(root, args.images, args.source_size)
    size, batch = args.image_size, args.batch_size
    rows = {
        "tf.data (image_dataset_from_directory)": lambda: keras_loader(root, size, batch, "tf"),
        "grain (image_dataset_from_directory)": lambda: keras_loader(root, size, batch, "grain"),
        "FolderImages, 1 thread": lambda: folder_images(root, size, batch, 1, False),
        "FolderImages, 2 threads": lambda: folder_images(root, size, batch, 2, False),
        "FolderImages, 2 processes": lambda: folder_images(root, size, batch, 2, True),
    }
    rates = {}
    for _ in range(args.rounds):  # rounds interleaved: a busy spell hits every row
        for name, make in rows.items():
            try:
                rates.setdefault(name, []).append(epoch_rate(make))
            except (ImportError, ValueError) as error:  # grain or TensorFlow not installed
                rates[name] = f"not run ({type(error).__name__}: {str(error)[:60]})"
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"{args.images} JPEGs of {args.source_size}px read at {size}px, batch {batch}, "
          f"{args.rounds} rounds")  # fmt: skip
    base = rates["tf.data (image_dataset_from_directory)"]
    anchor = statistics.median(base) if isinstance(base, list) else None
    print(f"{'loader':<40} {'images/s (median)':>18} {'spread':>14} {'vs tf.data':>10}")
    for name, values in rates.items():
        if not isinstance(values, list):
            print(f"{name:<40} {values}")
            continue
        median = statistics.median(values)
        ratio = f"{median / anchor:.2f}x" if anchor else "-"
        spread = f"{min(values):.0f}-{max(values):.0f}"
        print(f"{name:<40} {median:>18.0f} {spread:>14} {ratio:>10}")


if __name__ == "__main__":
    main()

"""Fine-tuning speed: ``recipes.fine_tune``'s training step against the plain Keras idiom,
measured in the same run.

ResNet-50 at ``--image-size`` px (random weights: the speed is the same) on a folder of real
images (``bench/folder_loading.py``'s: Fashion-MNIST test images as 480 px RGB JPEGs), batch
32, in the costly phase (the whole network, BatchNormalization frozen), each path in a fresh
process, rounds interleaved:

- keras idiom: ``keras.utils.image_dataset_from_directory`` (tf.data) and ``fit`` on
  Rescaling(1/255) + RandomFlip + the backbone + a new head (TensorFlow; the Keras guide's);
- torch hand: a hand-written PyTorch loop (channels_last, BatchNorm frozen, the same Adam)
  of a ResNet-50 in torchvision's layout (``_torch_resnet50``; torchvision itself has no
  wheel for the CPU-only torch 2.13.0 these machines install), reading the same
  ``FolderImages`` batches, with the flip in torch;
- fine_tune: what ``recipes.fine_tune`` trains (``FolderImages`` batches through
  ``fit_feed``, scaling, random resized crop and flip inside the compiled step,
  ``transfer_classifier``), on TensorFlow, JAX and PyTorch.

Prints training images/s (the first step left out) and the ratios to the Keras idiom and to
the hand-written PyTorch loop.

    python bench/fine_tune.py [--images 512] [--image-size 160] [--steps 6] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

PATHS = (("keras idiom", "tensorflow"), ("fine_tune", "tensorflow"), ("fine_tune", "jax"),
         ("fine_tune", "torch"), ("torch hand", "torch"))  # fmt: skip


def _idiom_model(size: int, classes: int):
    import keras

    import keras_resnet
    from keras_resnet.recipes.transfer import set_phase

    backbone = keras_resnet.ResNet50(include_top=False, weights=None, input_shape=(size, size, 3))
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.RandomFlip("horizontal")(x)
    x = keras.layers.GlobalAveragePooling2D()(backbone(x, training=False))
    model = keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(x))
    set_phase(backbone, "whole")
    return model


def _fine_tune_model(size: int, classes: int):
    from keras_resnet.recipes.transfer import (
        AugmentFolderBatches,
        pretrained_backbone,
        set_phase,
        transfer_classifier,
    )

    backbone, _ = pretrained_backbone("resnet50", None, size)
    network = transfer_classifier(backbone, [str(c) for c in range(classes)], mean=(0.5,) * 3,
                                  std=(0.25,) * 3, origin="bench", arch="resnet50")  # fmt: skip
    set_phase(backbone, "whole")
    return AugmentFolderBatches(network, seed=0)


def _torch_resnet50(classes: int):
    """torchvision's ``resnet50`` (v1.5: the stride on each bottleneck's 3x3 conv) with a
    ``classes``-way head, written out because torchvision cannot be installed here."""
    from torch import nn

    def conv_bn(cin, cout, kernel, stride=1, relu=True):
        layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False),
                  nn.BatchNorm2d(cout)]  # fmt: skip
        return nn.Sequential(*layers, *([nn.ReLU(inplace=True)] if relu else []))

    class Bottleneck(nn.Module):
        def __init__(self, cin, width, stride):
            super().__init__()
            self.body = nn.Sequential(conv_bn(cin, width, 1), conv_bn(width, width, 3, stride),
                                      conv_bn(width, width * 4, 1, relu=False))  # fmt: skip
            down = stride != 1 or cin != width * 4
            self.shortcut = conv_bn(cin, width * 4, 1, stride, relu=False) if down else None

        def forward(self, x):
            shortcut = x if self.shortcut is None else self.shortcut(x)
            return nn.functional.relu(self.body(x) + shortcut)

    blocks, cin = [conv_bn(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1)], 64
    for stage, (width, count) in enumerate(((64, 3), (128, 4), (256, 6), (512, 3))):
        for index in range(count):
            blocks.append(Bottleneck(cin, width, 2 if stage and not index else 1))
            cin = width * 4
    return nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, classes))


def torch_hand_rate(files, labels, size: int, steps: int) -> float:
    """Images/s of the hand-written PyTorch fine-tuning loop (the first step left out)."""
    import time

    import numpy as np
    import torch

    from keras_resnet.data.folder_dataset import FolderImages

    batches = FolderImages(files, labels, image_size=size, batch_size=32, shuffle=True)
    model = _torch_resnet50(int(np.max(labels)) + 1).to(memory_format=torch.channels_last)
    model.train()
    for module in model.modules():  # BatchNorm frozen, as in the recipe's whole phase
        if isinstance(module, torch.nn.BatchNorm2d):
            module.eval()
    optimizer = torch.optim.Adam(model.parameters(), 1e-5)
    generator, seconds = torch.Generator().manual_seed(0), 0.0
    for step in range(steps + 1):
        start = time.perf_counter()
        (images, _), targets = batches.read(0, step % len(batches))
        x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255).sub_(0.5).div_(0.25)
        flip = torch.rand(len(x), 1, 1, 1, generator=generator) < 0.5
        x = torch.where(flip, x.flip(3), x).contiguous(memory_format=torch.channels_last)
        loss = torch.nn.functional.cross_entropy(model(x), torch.from_numpy(targets).long())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seconds += (time.perf_counter() - start) if step else 0.0
    return steps * 32 / seconds


def measure(path: str, root: str, size: int, steps: int) -> float:
    """Training images/s of one path in this process (its backend set before Keras)."""
    import keras

    from keras_resnet.data import folder_split
    from keras_resnet.data.folder_dataset import FolderImages, fit_feed
    from keras_resnet.recipes.callbacks import Throughput

    split = folder_split.split_folder(root, validation_split=0)
    files, labels = split.files("training")
    if path == "torch hand":
        return torch_hand_rate(files, labels, size, steps)
    if path == "keras idiom":
        data = keras.utils.image_dataset_from_directory(
            root, image_size=(size, size), batch_size=32, shuffle=True, seed=0, verbose=False
        ).repeat()
        model = _idiom_model(size, len(split.class_names))
    else:
        data = fit_feed(FolderImages(files, labels, image_size=size, batch_size=32, shuffle=True))
        model = _fine_tune_model(size, len(split.class_names))
    model.compile(optimizer=keras.optimizers.Adam(1e-5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    meter = Throughput(32)
    model.fit(data, epochs=1, steps_per_epoch=steps + 1, callbacks=[meter], verbose=0)
    return meter.images_per_second


def _child(path: str, backend: str, root: str, size: int, steps: int) -> float:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); import fine_tune; "
            f"print('RATE', fine_tune.measure({path!r}, {root!r}, {size}, {steps}))")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=1800)  # fmt: skip
    lines = [line for line in result.stdout.splitlines() if line.startswith("RATE ")]
    if result.returncode or not lines:
        raise RuntimeError(f"{path} on {backend} failed: {result.stderr[-2000:]}")
    return float(lines[-1].split()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--image-size", type=int, default=160)
    parser.add_argument("--steps", type=int, default=6, help="timed steps per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(__file__))
    from folder_loading import write_folder

    root = tempfile.mkdtemp(prefix="bench_fine_tune_")
    write_folder(root, args.images, 480)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    print(f"{machine}; ResNet-50 at {args.image_size} px, batch 32, whole-network phase, "
          f"{args.steps} timed steps")  # fmt: skip
    rates = {path: [] for path in PATHS}
    for _ in range(args.rounds):
        for path, backend in PATHS:
            rates[(path, backend)].append(_child(path, backend, root, args.image_size, args.steps))
    baseline = statistics.median(rates[PATHS[0]])
    anchor = statistics.median(rates[("torch hand", "torch")])
    rows = []
    for (path, backend), values in rates.items():
        median = statistics.median(values)
        rows.append({"path": path, "backend": backend, "images_per_second": median,
                     "rounds": values, "ratio": median / baseline,
                     "ratio_to_torch_hand": median / anchor})  # fmt: skip
        print(f"{path:<12} {backend:<11} {median:7.2f} images/s  "
              f"({', '.join(f'{v:.2f}' for v in values)})  {median / baseline:.2f}x the idiom, "
              f"{median / anchor:.2f}x the PyTorch loop")  # fmt: skip
    print(json.dumps(rows))


if __name__ == "__main__":
    main()

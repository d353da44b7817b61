"""ResNet-20 training speed on Fashion-MNIST (batch 128, SGD), measured in one run: the
recipe through tf.data and through the in-memory path on each Keras backend, with the speed
options the package could choose (XLA, mixed_bfloat16, steps_per_execution, thread pools, JAX's
oneDNN flags, torch.compile, Keras's unfused BatchNormalization), against two hand-written
baselines (a minimal Keras ResNet-20 ``fit`` on tf.data, and a plain PyTorch CPU ResNet-20 in
channels_last: the anchor every row's ratio is printed against).

Every row runs in its own process (a backend is chosen when Keras starts), rows alternate
over ``--rounds`` and the median is printed; the first step of each run (tracing) is left
out. Goals: the package's default path (the ``memory`` row) at least 1.0x the PyTorch anchor,
the recipe at least 0.95x the hand-written Keras fit, and on TensorFlow the in-memory path at
least 0.95x tf.data.

    python bench/train.py [--data-dir DIR] [--steps 40] [--rounds 2] [--rows memory xla torch-hand]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ONE_OP = {"TF_NUM_INTEROP_THREADS": "1"}  # as `keras-resnet train --deterministic` runs
#: Row name: (what it measures, Keras backend, extra environment, extra ``train`` arguments).
#: ``jit_compile`` is not a ``train`` argument: the row compiles the model with it.
ROWS = {
    "keras-hand": ("hand-written Keras ResNet-20 fit, tf.data", "tensorflow", {}, {}),
    "tfdata": ("recipes.train, tf.data, TensorFlow", "tensorflow", {}, {"pipeline": "tfdata"}),
    "memory": ("recipes.train, memory, TensorFlow", "tensorflow", {}, {}),
    "deterministic": (
        "recipes.train, memory, TF, --deterministic",
        "tensorflow",
        ONE_OP,
        {"deterministic": True},
    ),
    "unfused": (
        "recipes.train, memory, TF, Keras's unfused BatchNorm",
        "tensorflow",
        {},
        {"fused_bn": False},
    ),
    "xla": (
        "recipes.train, memory, TF, XLA (jit_compile)",
        "tensorflow",
        {},
        {"jit_compile": True},
    ),
    "bf16": (
        "recipes.train, memory, TF, mixed_bfloat16",
        "tensorflow",
        {},
        {"mixed_precision": "mixed_bfloat16"},
    ),
    "spe8": (
        "recipes.train, memory, TF, steps_per_execution 8",
        "tensorflow",
        {},
        {"steps_per_execution": 8},
    ),
    "interop1": ("recipes.train, memory, TF, one inter-op thread", "tensorflow", ONE_OP, {}),
    "jax": ("recipes.train, memory, JAX", "jax", {}, {}),
    "jax-onednn": (
        "recipes.train, memory, JAX, XLA's oneDNN thunks",
        "jax",
        {"XLA_FLAGS": "--xla_cpu_use_onednn=true"},
        {},
    ),
    "jax-onednn-calls": (
        "recipes.train, memory, JAX, oneDNN custom calls",
        "jax",
        {
            "XLA_FLAGS": "--xla_cpu_experimental_onednn_custom_call=true --xla_cpu_use_onednn=false"
            " --xla_cpu_use_xnnpack=false"
        },
        {},
    ),
    "torch": ("recipes.train, memory, PyTorch", "torch", {}, {}),
    "torch-unfused": (
        "recipes.train, memory, PyTorch, Keras's unfused BatchNorm",
        "torch",
        {},
        {"fused_bn": False},
    ),
    "torch-compile": (
        "recipes.train, memory, PyTorch, torch.compile",
        "torch",
        {},
        {"jit_compile": True},
    ),
    "torch-hand": ("hand-written PyTorch ResNet-20 (channels_last)", "torch", {}, {}),
}


def keras_hand_rate(data_dir, steps: int) -> float:
    """The Keras baseline: ResNet-20 as one would write it in a few lines, fit on tf.data."""
    import keras
    from keras import layers

    from keras_resnet import data
    from keras_resnet.recipes.callbacks import Throughput

    inputs = keras.Input((32, 32, 1))
    x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    for stage, filters in enumerate((16, 32, 64)):
        for block in range(3):
            strides = 2 if stage > 0 and block == 0 else 1
            y = layers.Conv2D(filters, 3, strides, padding="same", use_bias=False)(x)
            y = layers.ReLU()(layers.BatchNormalization()(y))
            y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same",
                                                          use_bias=False)(y))  # fmt: skip
            if strides != 1 or x.shape[-1] != filters:
                x = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides,
                                                              use_bias=False)(x))  # fmt: skip
            x = layers.ReLU()(layers.Add()([x, y]))
    x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy")
    ds = data.load("fashion_mnist", batch_size=128, data_dir=data_dir, seed=0, repeat=True)
    throughput = Throughput(128)
    model.fit(ds, epochs=1, steps_per_epoch=steps, callbacks=[throughput], verbose=0)
    return throughput.images_per_second


def recipe_rate(data_dir, steps: int, **options) -> float:
    """Images/s of ``recipes.train("fashion_mnist_resnet20")`` over ``steps`` steps, with
    ``options`` passed to ``train`` (``jit_compile`` to every ``compile`` it makes,
    ``fused_bn=False``: Keras's own BatchNormalization ops)."""
    import keras

    from keras_resnet import recipes

    if not options.pop("fused_bn", True):  # as before the package fused BatchNorm
        from keras_resnet.recipes import training

        training.fuse_batch_norm = lambda model: 0
    jit_compile = options.pop("jit_compile", None)
    if jit_compile is not None:
        compile_model = keras.Model.compile
        keras.Model.compile = lambda self, *a, **k: compile_model(
            self, *a, **k, jit_compile=jit_compile
        )
    with tempfile.TemporaryDirectory() as out:
        result = recipes.train(
            "fashion_mnist_resnet20", output_dir=out, steps=steps, steps_per_epoch=steps,
            data_dir=data_dir, seed=0, validation_steps=1, verbose=0, **options,
        )  # fmt: skip
    return result.metrics["images_per_second"]


def torch_hand_rate(data_dir, steps: int) -> float:
    """The anchor: a plain PyTorch ResNet-20 (option A shortcuts) on the CPU in
    channels_last, fed from memory with the 4-pixel pad, random crop and flip in torch."""
    import torch
    from torch import nn

    from keras_resnet.data.memory import arrays, pixel_mean

    def block(cin, cout, stride):
        body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout),
        )  # fmt: skip
        return body, stride != 1 or cin != cout

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False),
                                      nn.BatchNorm2d(16), nn.ReLU())  # fmt: skip
            self.blocks, self.pads = nn.ModuleList(), []
            cin = 16
            for stage, cout in enumerate((16, 32, 64)):
                for index in range(3):
                    body, pad = block(cin, cout, 2 if stage and not index else 1)
                    self.blocks.append(body)
                    self.pads.append(pad)
                    cin = cout
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            x = self.stem(x)
            for body, pad in zip(self.blocks, self.pads, strict=True):
                shortcut = x
                if pad:  # option A: subsample and zero-pad the channels
                    shortcut = x[:, :, ::2, ::2]
                    extra = body[0].out_channels - shortcut.shape[1]
                    shortcut = nn.functional.pad(shortcut, (0, 0, 0, 0, extra // 2, extra // 2))
                x = torch.relu(body(x) + shortcut)
            return self.fc(x.mean((2, 3)))

    images, labels = arrays("fashion_mnist", "train", data_dir=data_dir)
    x_all = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
    x_all = x_all - torch.from_numpy(pixel_mean(images)).permute(2, 0, 1)
    x_all = nn.functional.pad(x_all, (2, 2, 2, 2))
    y_all = torch.from_numpy(labels)
    model = Net().to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(0)
    seconds = 0.0
    for step in range(steps):
        start = time.perf_counter()
        index = torch.randint(0, len(y_all), (128,), generator=generator)
        padded = nn.functional.pad(x_all[index], (4, 4, 4, 4))
        dy, dx = torch.randint(0, 9, (2,), generator=generator).tolist()
        batch = padded[:, :, dy : dy + 32, dx : dx + 32]
        batch = torch.where(
            torch.rand(128, 1, 1, 1, generator=generator) < 0.5, batch.flip(3), batch
        ).contiguous(memory_format=torch.channels_last)
        loss = nn.functional.cross_entropy(model(batch), y_all[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step:  # the first step warms up
            seconds += time.perf_counter() - start
    return (steps - 1) * 128 / seconds


def measure(row: str, data_dir, steps: int) -> float:
    if row == "keras-hand":
        return keras_hand_rate(data_dir, steps)
    if row == "torch-hand":
        return torch_hand_rate(data_dir, steps)
    return recipe_rate(data_dir, steps, **ROWS[row][3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--child", choices=list(ROWS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(measure(args.child, args.data_dir, args.steps))
        return
    rates = {row: [] for row in args.rows}
    for _ in range(args.rounds):
        for row in args.rows:
            _, backend, env, _ = ROWS[row]
            command = [sys.executable, __file__, "--child", row, "--steps", str(args.steps)]
            command += ["--data-dir", args.data_dir] if args.data_dir else []
            output = subprocess.run(
                command, check=True, capture_output=True, text=True,
                env={**os.environ, "KERAS_BACKEND": backend, **env},
            ).stdout  # fmt: skip
            rates[row].append(float(output.split()[-1]))
    median = {row: statistics.median(values) for row, values in rates.items()}
    print(f"# {platform.machine()}, {os.cpu_count()} cores, batch 128, {args.steps} steps, "
          f"median of {args.rounds} runs per row")  # fmt: skip
    anchor = median.get("torch-hand")
    for row, rate in median.items():
        ratio = f"  {rate / anchor:5.2f}x the PyTorch anchor" if anchor else ""
        runs = [round(v) for v in rates[row]]
        print(f"{ROWS[row][0]:<48} {rate:7.1f} img/s{ratio}  (runs: {runs})")
    for a, b in (("memory", "tfdata"), ("tfdata", "keras-hand"), ("deterministic", "memory")):
        if a in median and b in median:
            print(f"ratio {a} / {b}: {median[a] / median[b]:.2f}x")


if __name__ == "__main__":
    main()

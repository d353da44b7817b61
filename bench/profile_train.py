"""Where a ResNet-20 training step spends its time: op self-times by type, TensorFlow's profile of
``recipes.train`` (in memory) or ``torch.profiler`` on bench/train.py's hand-written PyTorch loop.

TensorFlow: Keras's TensorBoard callback profiles steps 4-8 and TensorFlow's
``framework_op_stats`` tool sums the ops' self-times (idle time left out); ``--unfused`` trains
with Keras's own BatchNormalization ops instead of the fused kernel.

    python bench/profile_train.py [--torch] [--unfused] [--top 18]
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def tensorflow_op_times(unfused: bool) -> dict[str, float]:
    """Milliseconds of op self-time by op type over five profiled training steps."""
    import keras
    from tensorflow.python.profiler.internal import _pywrap_profiler_plugin as plugin

    from keras_resnet import recipes
    from keras_resnet.recipes import training

    if unfused:
        training.fuse_batch_norm = lambda model: 0
    logs = tempfile.mkdtemp(prefix="profile_train_")
    board = keras.callbacks.TensorBoard(logs, profile_batch=(4, 8), write_graph=False)
    with tempfile.TemporaryDirectory() as out:
        recipes.train("fashion_mnist_resnet20", output_dir=out, steps=10, steps_per_epoch=10,
                      seed=0, validation_steps=1, verbose=0, callbacks=[board])  # fmt: skip
    files = glob.glob(os.path.join(logs, "**", "*.xplane.pb"), recursive=True)
    data, _ = plugin.xspace_to_tools_data(files, "framework_op_stats")
    table = json.loads(data)[0]
    columns = [column["id"] for column in table["cols"]]
    times = collections.Counter()
    for row in table["rows"]:
        cells = [cell.get("v") if cell else None for cell in row["c"]]
        values = dict(zip(columns, cells, strict=True))
        if values["type"] != "IDLE":
            times[values["type"]] += values["total_self_time"] / 1e3
    return times


def torch_op_times() -> dict[str, float]:
    """Milliseconds of op self-time by op over six steps of the hand-written PyTorch loop."""
    from torch.profiler import ProfilerActivity, profile

    sys.path.insert(0, os.path.dirname(__file__))
    from train import torch_hand_rate

    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        torch_hand_rate(None, 6)
    return {event.key: event.self_cpu_time_total / 1e3 for event in profiler.key_averages()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch", action="store_true", help="profile the PyTorch loop")
    parser.add_argument("--unfused", action="store_true", help="Keras's own BatchNormalization")
    parser.add_argument("--top", type=int, default=18)
    args = parser.parse_args()
    times = torch_op_times() if args.torch else tensorflow_op_times(args.unfused)
    total = sum(times.values())
    for name, ms in sorted(times.items(), key=lambda item: -item[1])[: args.top]:
        print(f"{name:<45} {ms:9.1f} ms {100 * ms / total:5.1f}%")
    print(f"{'all ops':<45} {total:9.1f} ms")


if __name__ == "__main__":
    main()

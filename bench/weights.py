"""Zoo loading speed: a warm (cached) pretrained load against ``model.load_weights``.

1. Warm load of ResNet-50 "imagenet" from the zoo's cache (read safetensors, assign by layer
   name) against ``model.load_weights`` on a ``.weights.h5`` of the same model: both fill the
   same built model, interleaved, median of ``--rounds``. Goal: ratio at most 1.5x.
2. Cold conversion of ResNet-152: sha256 of the source, torchvision -> Keras conversion,
   atomic cache write and the load into a built model (everything after the download).
   Goal: under 30 s.

Random weights in torchvision layout stand in for the real checkpoints (no network here);
sizes and code paths are the same.

    python bench/weights.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from safetensors.numpy import load_file, save_file

import keras_resnet
from keras_resnet.io import sha256_file
from keras_resnet.zoo import ModelLayout, cache, convert, load_weights, registry, resolve_weights

TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests")


def _torchvision_state(depth: int):
    sys.path.insert(0, TESTS)
    from reference_weights import reference

    return reference(depth)[0]


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-weights-")
    os.environ["KERAS_HOME"] = work  # cache.cache_dir() reads it at call time

    checkpoint = registry.get("resnet50.tv_in1k")
    cache.store(
        convert.from_torchvision(_torchvision_state(50)), cache.converted_path(checkpoint.sha256)
    )
    model = keras_resnet.ResNet50(weights=None)
    h5 = os.path.join(work, "resnet50.weights.h5")
    model.save_weights(h5)
    layout = ModelLayout("resnet50", variant="v1.5")
    zoo_times, h5_times = [], []
    for _ in range(args.rounds):
        zoo_times.append(
            _timed(lambda: load_weights(model, resolve_weights("imagenet", layout=layout)))
        )
        h5_times.append(_timed(lambda: model.load_weights(h5)))
    zoo, h5_time = statistics.median(zoo_times), statistics.median(h5_times)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"ResNet-50 model.load_weights(.weights.h5)      {h5_time * 1000:7.0f} ms  1.00x")
    print(
        f"ResNet-50 weights='imagenet' (zoo cache hit)   {zoo * 1000:7.0f} ms  "
        f"{zoo / h5_time:.2f}x (goal <= 1.5x)"
    )

    source = os.path.join(work, "resnet152.safetensors")
    save_file(_torchvision_state(152), source)
    big = keras_resnet.ResNet152(weights=None)
    start = time.perf_counter()
    sha256 = sha256_file(source)
    state = convert.read_checkpoint(source)
    cache.store(state, cache.converted_path(sha256))
    convert.assign(big, load_file(cache.converted_path(sha256)))
    cold = time.perf_counter() - start
    size = os.path.getsize(source) / 2**20
    print(
        f"ResNet-152 cold conversion ({size:.0f} MiB: sha256, convert, cache, load) "
        f"{cold:6.1f} s (goal < 30 s)"
    )


if __name__ == "__main__":
    main()

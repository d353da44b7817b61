#!/usr/bin/env bash
# ResNet-20 on Fashion-MNIST through `keras-resnet train --pipeline memory` on JAX, on a GPU
# machine that has JAX but neither TensorFlow nor a network: what it needs travels with it.
#
#   bench/gpu.sh prepare [PY]   here (registry access): wheels of the package's base
#                               requirements for Python PY (default 3.11) and the Fashion-MNIST
#                               IDX files, into .gpu-carry/ (git-ignored; carry it)
#   bench/gpu.sh run [--study]  there: installs from .gpu-carry/ without the network, trains
#                               a fixed number of steps and prints images/s and the accuracy;
#                               --study then runs the 64k study of resnet/plain 20 and 56
#
# Environment: STEPS (default 2000), SPE (steps per execution, default 100),
# RUNS (output folder, default runs/gpu).
set -euo pipefail
cd "$(dirname "$0")/.."
CARRY=.gpu-carry
STEPS=${STEPS:-2000}
SPE=${SPE:-100}
RUNS=${RUNS:-runs/gpu}

prepare() {
  local py=${1:-3.11}
  mkdir -p "$CARRY/wheels" "$CARRY/fashion-mnist"
  # The base requirements (setup.py) and theirs, less what a JAX GPU machine brings.
  python3 -m pip download --quiet --only-binary=:all: --python-version "$py" \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux_2_28_x86_64 --dest "$CARRY/wheels" \
    "keras>=3.3" "h5py>=3.10" "huggingface-hub>=0.23" "safetensors>=0.4" "matplotlib>=3.7"
  # Under the device's 64 MiB carry limit: numpy, JAX, PyTorch and Pillow (torchvision's)
  # are there; hf_xet serves only Xet-backed Hub downloads, and there is no network.
  rm -f "$CARRY"/wheels/numpy-* "$CARRY"/wheels/jax* "$CARRY"/wheels/torch-* \
    "$CARRY"/wheels/pillow-* "$CARRY"/wheels/hf_xet-*
  cp /usr/share/datasets/fashion-mnist/*-ubyte.gz "$CARRY/fashion-mnist/"
  du -sh "$CARRY"
}

run() {
  python -c "import jax; print('JAX', jax.__version__, jax.devices())"
  # --no-deps: exactly the carried wheels (their requirements were resolved by `prepare`).
  python -m pip install --quiet --no-index --no-deps "$CARRY"/wheels/*.whl
  python -c "import PIL, numpy; print('Pillow', PIL.__version__, 'NumPy', numpy.__version__)"
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" KERAS_BACKEND=jax
  export KERAS_RESNET_FASHION_MNIST_DIR="$PWD/$CARRY/fashion-mnist"
  python -c "import importlib.util as u; assert u.find_spec('tensorflow') is None; print('no TensorFlow')"
  rm -rf "$RUNS/resnet20"
  python -m keras_resnet.cli train --recipe fashion_mnist_resnet20 --pipeline memory \
    --steps "$STEPS" --steps-per-epoch 500 --steps-per-execution "$SPE" --compress-schedule \
    --seed 0 --output "$RUNS/resnet20"
  if [ "${1:-}" = "--study" ]; then
    python -m keras_resnet.cli study --families resnet plain --depths 20 56 --steps 64000 \
      --steps-per-epoch 500 --steps-per-execution "$SPE" --seed 0 --pipeline memory \
      --output "$RUNS/study64k"
  fi
}

case "${1:-}" in
  prepare) shift; prepare "$@" ;;
  run) shift; run "$@" ;;
  *) sed -n '2,15p' "$0"; exit 2 ;;
esac

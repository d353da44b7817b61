# Two commands for a newcomer on a fresh machine: `make demo` and `make test`.
# Each creates .venv if needed and installs the package into it (editable).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
export TF_CPP_MIN_LOG_LEVEL ?= 3

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
DEMO_DIR ?= runs/demo

.PHONY: demo fashion-mnist test test-fast lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[tensorflow]"
	touch $@

# torch first, pinned: 2.13.0 is the CPU-only build on this workplace's machines (a newer
# torch from PyPI brings gigabytes of CUDA libraries); the dev extra's range accepts it.
$(VENV)/.installed-test: setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-run

# A Python where only ".[jax]" is installed (no TensorFlow, no PyTorch): the fine-tuning
# command's TensorFlow-free test runs in it (tests/helpers.py, python_with_only_jax).
JAX_VENV ?= .venv-jax
$(JAX_VENV)/.installed: setup.py
	$(PYTHON) -m venv $(JAX_VENV)
	$(JAX_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(JAX_VENV)/bin/python -m pip install --quiet -e ".[jax]"
	touch $@

# Fashion-MNIST from Debian where apt is available; otherwise TFDS downloads it on first use.
fashion-mnist:
	@if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq dataset-fashion-mnist \
	  || echo "apt-get failed: tensorflow-datasets will download Fashion-MNIST instead"; \
	fi

# The main job: a short training of ResNet-20 on Fashion-MNIST (2-12 minutes on 2 cores: README).
demo: $(VENV)/.installed-run fashion-mnist
	$(BIN)/keras-resnet train --recipe fashion_mnist_resnet20 --steps 300 --steps-per-epoch 100 \
	  --compress-schedule --seed 0 --output $(DEMO_DIR)

test: $(VENV)/.installed-test $(JAX_VENV)/.installed
	$(BIN)/python -m pip check  # TensorFlow, Keras and the export runtimes fit together
	KERAS_RESNET_JAX_PYTHON=$(abspath $(JAX_VENV))/bin/python $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-test  # the export runtimes come with the test extra
	$(BIN)/python bench/inference.py
	$(BIN)/python bench/onnx_int8.py
	$(BIN)/python bench/data.py
	$(BIN)/python bench/train.py
	$(BIN)/python bench/precision.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

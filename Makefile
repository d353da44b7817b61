# Two commands for a newcomer on a fresh machine: `make demo` and `make test`.
# Each creates .venv if needed and installs the package into it (editable).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: demo test test-fast lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-run

demo: $(VENV)/.installed-run
	$(BIN)/keras-resnet models --count
	$(BIN)/python examples/forward_pass.py

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-run
	$(BIN)/python bench/inference.py
	$(BIN)/python bench/data.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

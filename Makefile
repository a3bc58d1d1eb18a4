# One-command entry points. `make demo` sets up and runs the main job; `make test` sets up and runs the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/narank: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

setup: $(BIN)/narank

demo: setup
	$(BIN)/python -m narank.demo

test: setup
	$(BIN)/ruff check narank tests benchmarks train_predictor.py
	$(BIN)/pytest

.PHONY: setup demo test

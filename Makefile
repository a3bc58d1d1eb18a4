# One-command entry points. `make demo` sets up and runs the main job; `make test` sets up and runs the tests.
#
# torch is pinned (torch==2.13.0). By default it comes from PyPI, which on Linux x86-64 is the CUDA
# build (several GB of nvidia packages). For the CPU-only build (about 200 MB) pass PyTorch's CPU
# wheel index once, at set-up:   make demo TORCH_INDEX=https://download.pytorch.org/whl/cpu
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_INDEX ?=
TORCH_FROM := $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX),)

$(BIN)/narank: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0 $(TORCH_FROM)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

setup: $(BIN)/narank

demo: setup
	$(BIN)/python -m narank.demo

# -rs lists every skipped test with its reason, so a green run cannot hide skips.
test: setup
	$(BIN)/ruff check narank tests benchmarks train_predictor.py
	$(BIN)/lint-imports
	$(BIN)/pytest -rs --durations=15

.PHONY: setup demo test

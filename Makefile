# One entry point for people and CI. Everything installs into .venv from the committed lock files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := $(shell sed -n 's/^uv==//p' requirements-dev.lock)
INSTALLED := $(VENV)/.installed

.PHONY: install lint typecheck test unit demo bench bench-compare lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): $(BIN)/python requirements-dev.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements-dev.lock
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --no-deps --editable .
	touch $(INSTALLED)

install: $(INSTALLED)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: install
	$(BIN)/mypy source_interval_metrics testkit unit_tests integration_tests demo bench

test: lint typecheck
	$(BIN)/pytest

unit: install
	$(BIN)/pytest unit_tests

# One resolution: the development lock (runtime, tests and tools together), then the runtime lock taken from it, so
# that the tests run exactly the runtime packages the image ships.
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --quiet -o requirements-dev.lock --custom-compile-command "make lock"
	$(BIN)/uv pip compile pyproject.toml -c requirements-dev.lock --python-version 3.11 --quiet -o requirements.lock --custom-compile-command "make lock"

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache

demo: install
	$(BIN)/python -m demo

# The package's bytecode compiled first, as `pip install` does for users (the editable install leaves it to imports).
bench: install
	$(BIN)/python -m compileall -q source_interval_metrics
	$(BIN)/python -m bench.run

# The same work on another commit (REF, in a temporary git worktree) and on the working tree, alternating.
bench-compare: install
	$(BIN)/python -m bench.compare $(REF)

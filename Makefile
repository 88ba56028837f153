# The two commands of the README: `make serve` and `make test`.
# Each creates .venv and installs what it needs on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install serve test lint typecheck pytest schema clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

install: $(INSTALLED)

## Serve the gateway on a local SageMaker with demo Autopilot jobs.
serve: $(INSTALLED)
	$(BIN)/python -m gateway serve --local

## Lint, type-check and run the whole test suite.
test: lint typecheck pytest

lint: $(INSTALLED)
	$(BIN)/ruff check gateway tests
	$(BIN)/ruff format --check gateway tests

typecheck: $(INSTALLED)
	$(BIN)/mypy gateway

pytest: $(INSTALLED)
	$(BIN)/python -m pytest

## Regenerate schema.graphql from the code.
schema: $(INSTALLED)
	$(BIN)/python -m gateway export-schema > schema.graphql

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

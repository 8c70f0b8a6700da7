# orderwatch — `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help demo test check bench clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z]+:.*## / {printf "  make %-6s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

demo: $(STAMP) ## run a living shop: simulator + daemon + console on data/demo.db
	$(BIN)/orderwatchd demo

test: $(STAMP) ## run the test suite
	$(BIN)/pytest -q

check: $(STAMP) ## format check, lint, types, import contracts, tests
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q

bench: $(STAMP) ## benchmarks; each prints one line BENCH {json}
	$(BIN)/python -m tests.bench

clean: ## remove the environment and runtime files
	rm -rf $(VENV) build *.egg-info data/*.db data/*.db-* data/*.log

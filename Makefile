# Two commands: `make demo` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-all lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)  ## runs the nightly job once against the embedded sandbox tenant
	$(BIN)/c3po-sync demo

test: $(STAMP)  ## the whole suite: fast tests, then the slow, fault and benchmark-harness suites
	$(BIN)/python -m pytest -q -m "" $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var out .pytest_cache .ruff_cache

# Two commands: `make demo` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-test
DEMO_STAMP := $(VENV)/.installed

.PHONY: demo test test-all lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The demo needs the package only, installed as a user gets it (not editable: no build-backend
# notices); the tests add their extras and an editable install, which the demo then uses as is.
SOURCES := $(shell find c3po_sync -name '*.py' -o -name '*.yaml')
$(DEMO_STAMP): pyproject.toml $(SOURCES) | $(BIN)/python
	@if [ -f $(STAMP) ]; then echo "using the editable install of make test"; \
	else echo "$(BIN)/python -m pip install --quiet ."; $(BIN)/python -m pip install --quiet .; fi
	touch $(DEMO_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $(DEMO_STAMP)

demo: $(DEMO_STAMP)  ## runs the nightly job once against the embedded sandbox tenant
	$(BIN)/c3po-sync demo

# Much of the suite waits (Retry-After, backoff, kill points, child processes), so it runs in
# four times more processes than there are cores; TEST_WORKERS=0 runs it in one. The long
# tests are collected first (tests/conftest.py) and an idle worker takes tests queued for a
# busy one (worksteal): the run no longer ends on one worker's queue of long tests.
TEST_WORKERS ?= 8
test: $(STAMP)  ## the whole suite: fast tests, then the slow, fault and benchmark-harness suites
	$(BIN)/python -m pytest -q -m "" -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

clean:
	rm -rf $(VENV) var out build .pytest_cache .ruff_cache

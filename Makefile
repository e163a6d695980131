# The two commands a newcomer needs: `make demo` and `make test`.
# Both build .venv from pyproject.toml first (only when it changed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/intake demo --dir intake-demo

lint: $(STAMP)
	$(BIN)/ruff check intake tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) intake-demo .mypy_cache .ruff_cache .pytest_cache

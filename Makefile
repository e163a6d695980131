# The two commands a newcomer needs: `make demo` and `make test`.
# Both build .venv from pyproject.toml first (only when it changed).

PYTHON ?= python3
# A failing benchmark must fail the command, even when piped through tee.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench evidence model clean

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

# Figures, not tests: needs dovecot-imapd and pandoc (apt); mammoth and matplotlib come
# from the bench extra. Ends by writing bench/results/report.md with its plot.
bench: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench,train]'
	mkdir -p bench/results
	$(BIN)/python bench/poll_bench.py | tee bench/results/poll-latest.txt
	$(BIN)/python bench/fidelity.py --markdown-out bench/results/fidelity-latest.md > /dev/null
	$(BIN)/python bench/convert_bench.py | tee bench/results/convert-latest.txt
	$(BIN)/python bench/hostile.py | tee bench/results/hostile-latest.txt
	$(BIN)/python bench/triage_eval.py 2>/dev/null | tee bench/results/triage-latest.txt
	$(BIN)/python bench/triage_eval.py --holdout 2>/dev/null | tee bench/results/triage-holdout-latest.txt
	$(BIN)/python bench/language_eval.py 2>/dev/null | tee bench/results/language-latest.txt
	$(BIN)/python bench/queue_bench.py | tee bench/results/queue-latest.txt
	$(BIN)/python bench/desk_bench.py | tee bench/results/desk-latest.md
	$(BIN)/python bench/report.py

# Retrain triage's model from tests/labelled/ after changing the corpus or the features
# (tests/test_labelled.py fails until the shipped model is the one the corpus trains).
model: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,train]'
	$(BIN)/python -m intake.rules.train

# The evidence suites in full (their fast forms run in make test); needs dovecot-imapd.
evidence: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	mkdir -p bench/results
	$(BIN)/python bench/crash_suite.py --n 60 --trials 120 --seed 7 | tee bench/results/crash-latest.txt
	$(BIN)/python bench/fault_suite.py --n 12 --cuts 6 2>/dev/null | tee bench/results/faults-latest.md
	$(BIN)/python bench/input_sweep.py 2>/dev/null | tee bench/results/inputs-latest.md
	HYPOTHESIS_PROFILE=full $(BIN)/pytest -q tests/test_properties.py \
		tests/test_security.py | tail -n 1 | tee bench/results/properties-latest.txt
	$(BIN)/python bench/report.py --assemble

clean:
	rm -rf $(VENV) intake-demo .mypy_cache .ruff_cache .pytest_cache

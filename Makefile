# Two commands for a new user: `make demo` runs the platform, `make test` tests it.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help demo test install install-dev screenshots lint bench bench-quick calibrate train-evaluators clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamp files make a second run reuse the environment unless pyproject.toml changed.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,spark,k8s]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed  ## create .venv and install the project

install-dev: $(VENV)/.installed-dev  ## create .venv with the dev, spark and k8s extras

demo: $(VENV)/.installed  ## simulate a month, materialize it, start the Dagster UI (:3000) and Streamlit (:8501)
	$(BIN)/journeys demo

test: $(VENV)/.installed-dev  ## the whole suite: pytest, dbt build and tests, quality checks, browser test
	$(BIN)/python -m pytest

screenshots: $(VENV)/.installed-dev  ## refresh docs/screenshots from the browser test
	JOURNEYS_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -m browser tests/app

lint: $(VENV)/.installed-dev  ## ruff on the Python, sqlfluff (.sqlfluff, jaffle-shop's style) on the dbt models
	$(BIN)/ruff check orchestration evals app tests benchmarks
	$(BIN)/sqlfluff lint dbt_project/models --processes 1

bench: $(VENV)/.installed-dev  ## every benchmark (not pytest): a table, docs/benchmarks.md, benchmarks/results.json
	$(BIN)/python benchmarks/run_all.py

bench-quick: $(VENV)/.installed-dev  ## the same at 0.1x the volume, in a few minutes
	$(BIN)/python benchmarks/run_all.py --quick

calibrate: $(VENV)/.installed-dev  ## evaluator accuracy on ../shared/data/{sgd_dev,stc3_dev}, beside baselines
	$(BIN)/journeys calibrate

train-evaluators: $(VENV)/.installed-dev  ## refit evals/local/weights/*.json on the dev sets (reproducible)
	$(BIN)/python -m evals.training

clean:  ## remove generated data (keeps .venv)
	rm -rf data dbt_project/target dbt_project/logs

# newsflow: `make run` sets up .venv and runs the nightly flow on seeds/; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Prefect keeps its state inside the project, and sends nothing anywhere.
export PREFECT_HOME ?= $(CURDIR)/.prefect
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: help venv run test bench clean-venv

help:
	@echo "make run    - create .venv (pinned) and run the nightly flow on seeds/ into warehouse/newsflow.duckdb"
	@echo "make test   - run the test suite (offline)"
	@echo "make bench  - benchmark the pipeline on ../shared/fixtures/pages (figures into bench/out/)"

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: venv
	$(VENV)/bin/newsflow ingest

test: venv
	$(PY) -m pytest -q

bench: venv
	$(PY) bench/bench_pipeline.py

clean-venv:
	rm -rf $(VENV)

# newsflow: `make run` sets up .venv and runs the nightly flow on seeds/; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Prefect keeps its state inside the project, and sends nothing anywhere.
export PREFECT_HOME ?= $(CURDIR)/.prefect
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: help venv run test bench bench-pipeline bench-fetch bench-clean bench-dedup bench-queries bench-scale eval-clean eval-dedup eval-events clean-venv

help:
	@echo "make run    - create .venv (pinned) and run the nightly flow on seeds/ into warehouse/newsflow.duckdb"
	@echo "make test   - run the test suite (offline)"
	@echo "make bench  - all benchmarks below (figures into bench/out/)"
	@echo "make bench-pipeline - the pipeline end to end on ../shared/fixtures/pages"
	@echo "make bench-fetch    - live fetching against a local 20-host server with 100 ms latency"
	@echo "make bench-clean    - the cleaner's memory over repeated passes on ../shared/fixtures/pages"
	@echo "make bench-dedup    - dedup against warehouses with 10,000 and 1,000,000 stored articles (built once, cached)"
	@echo "make bench-scale    - the flow on 10,000 and 100,000 articles (memory), and 1 vs 2 Dask workers (speed-up)"
	@echo "make bench-queries  - the README's five analyst queries on a warehouse of 1,000,000 event mentions (built once, cached)"
	@echo "make eval-clean     - score the cleaner against trafilatura on ../shared/fixtures/pages (bench/out/)"
	@echo "make eval-dedup     - score dedup on the labelled pairs of ../shared/gold/dedup (bench/out/)"
	@echo "make eval-events    - score event extraction on the PLOVER gold of ../shared/gold/events, and its speed (bench/out/)"

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

bench: bench-pipeline bench-fetch bench-clean bench-dedup bench-queries bench-scale

bench-pipeline: venv
	$(PY) bench/bench_pipeline.py

bench-fetch: venv
	$(PY) bench/bench_fetch.py

bench-clean: venv
	$(PY) bench/bench_clean_memory.py

bench-dedup: venv
	$(PY) bench/bench_dedup.py

bench-scale: venv
	$(PY) bench/bench_scale.py

bench-queries: venv
	$(PY) bench/bench_queries.py

# trafilatura is a dev-only yardstick: requirements-eval.txt, installed into .venv on first use only.
EVAL_STAMP := $(VENV)/.eval-installed

eval-clean: venv $(EVAL_STAMP)
	$(PY) bench/eval_clean.py

$(EVAL_STAMP): requirements-eval.txt $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-eval.txt
	touch $(EVAL_STAMP)

eval-dedup: venv
	$(PY) bench/eval_dedup.py

eval-events: venv
	$(PY) bench/eval_events.py

clean-venv:
	rm -rf $(VENV)

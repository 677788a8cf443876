# One entry point for people and CI. Every target builds .venv itself, so a fresh
# clone needs only Python >= 3.11, make and bash.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?= -n 2

.PHONY: venv demo test lint refresh dev bench bench-data bench-ingest bench-venv clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "itops-kpi needs Python >= 3.11, found " + sys.version' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

## make demo: fake source APIs -> connectors -> DuckDB -> dbt build -> KPI summary
demo: $(STAMP)
	$(BIN)/itops demo

## make test: the whole suite (pytest exit code 5, "no tests collected", is a failure)
test: $(STAMP)
	$(BIN)/ruff check connectors pipelines tests
	@set +e; $(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check connectors pipelines tests
	$(BIN)/ruff format --check connectors pipelines tests

## make dev: the Dagster UI on http://127.0.0.1:3000 (asset graph, schedules, sensors, checks)
dev: $(STAMP)
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/.dagster_home} bash -c '$(BIN)/python -c "from pipelines.project import dagster_home; dagster_home()" && $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000'

## make bench-ingest: 1M ServiceNow incidents, ours vs the limit vs dlt (writes bench/results.*)
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $@

bench-venv: $(BENCH_STAMP)

bench-ingest: $(BENCH_STAMP)
	$(BIN)/python -m bench.ingest

## make bench-data: the warehouse benchmarks' inputs, cached in ITOPS_BENCH_DIR (default .itops/bench):
## the generated org, its raw warehouses (pulled by our connectors), the one-year base. Once: ~1 h on large
bench-data: $(BENCH_STAMP)
	$(BIN)/python -m bench.warehouse prepare

## make bench: every benchmark of issue 8 (bench/results.md, bench/results.json) on ITOPS_BENCH_PROFILE
## (default large). bench.build measures the full build, then the BI queries and the report on it, then the night.
bench: bench-data
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.build

clean:
	rm -rf $(VENV) warehouse dbt_project/target dbt_project/logs .dagster_home

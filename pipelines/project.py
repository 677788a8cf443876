"""Where things live, resolved at run time from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from connectors.core.config import PROJECT_ROOT, env, warehouse_path

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


DAGSTER_YAML = """\
# Local Dagster instance for itops-kpi, written by pipelines/project.py (rewritten when
# this header is kept and the project's version of it changes; remove the header line
# to keep your own edits). SQLite run and event storage live in this folder;
# deploy/dagster.yaml is the PostgreSQL + Kubernetes instance for the next step up
# (docs/deploy.md).
telemetry:
  enabled: false
concurrency:
  pools:
    # One step at a time per pool: `source_<name>` (each source's API: a nightly and a
    # backfill never call it at once, so its rate limit holds) and `warehouse_writer`
    # (dbt). Raise one pool with `dagster instance concurrency set source_jira 2`.
    default_limit: 1
    granularity: op
  runs:
    max_concurrent_runs: 4
# The daemon fails runs that outlive their `dagster/max_runtime` tag (the jobs set it
# from ITOPS_RUN_TIMEOUT_SECONDS / ITOPS_BACKFILL_TIMEOUT_SECONDS) and frees their pools.
run_monitoring:
  enabled: true
  poll_interval_seconds: 60
  free_slots_after_run_end_seconds: 60
"""
GENERATED_HEADER = "# Local Dagster instance for itops-kpi, written by pipelines/project.py"


def dagster_home() -> Path:
    """``DAGSTER_HOME``, defaulting to ``.dagster_home`` in the project (created on demand,
    with a dagster.yaml that turns telemetry off, sets pool limits and run monitoring)."""
    home = Path(env("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    current = config.read_text() if config.exists() else None
    # An instance file we wrote is kept up to date; one a person wrote is left alone.
    if current is None or (current.startswith(GENERATED_HEADER) and current != DAGSTER_YAML):
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def dbt_env() -> dict[str, str]:
    """Environment for dbt subprocesses: the same warehouse file and reporting zone as ours."""
    return {"ITOPS_WAREHOUSE": str(warehouse_path()), "ITOPS_TIMEZONE": env("ITOPS_TIMEZONE", "UTC")}

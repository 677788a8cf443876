"""Where things live, resolved at run time from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from connectors.core.config import PROJECT_ROOT, env, warehouse_path

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


DAGSTER_YAML = """\
# Local Dagster instance for itops-kpi (SQLite run and event storage in this folder).
# docs/deploy.md shows the PostgreSQL + Kubernetes configuration for the next step up.
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""


def dagster_home() -> Path:
    """``DAGSTER_HOME``, defaulting to ``.dagster_home`` in the project (created on demand,
    with a dagster.yaml that turns telemetry off and lets one run per pool at a time)."""
    home = Path(env("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def dbt_env() -> dict[str, str]:
    """Environment for dbt subprocesses: the same warehouse file and reporting zone as ours."""
    return {"ITOPS_WAREHOUSE": str(warehouse_path()), "ITOPS_TIMEZONE": env("ITOPS_TIMEZONE", "UTC")}

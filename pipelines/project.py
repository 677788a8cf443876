"""Where things live, resolved at run time from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from connectors.core.config import PROJECT_ROOT, env, warehouse_path

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def dagster_home() -> Path:
    """``DAGSTER_HOME``, defaulting to ``.dagster_home`` in the project (created on demand)."""
    home = Path(env("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DAGSTER_HOME", str(home))
    return home


def dbt_env() -> dict[str, str]:
    """Environment for dbt subprocesses: the same warehouse file and reporting zone as ours."""
    return {"ITOPS_WAREHOUSE": str(warehouse_path()), "ITOPS_TIMEZONE": env("ITOPS_TIMEZONE", "UTC")}

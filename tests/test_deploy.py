"""Beyond one machine: the dbt project compiles against PostgreSQL (dbt-postgres, compile
only, no server) into SQL free of DuckDB-only constructs, and the shipped Dagster
instance files validate against the schemas of the classes they name."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlglot
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster._serdes.config_class import class_from_code_pointer

from pipelines.project import DAGSTER_YAML

ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT = ROOT / "dbt_project"

#: functions and syntax PostgreSQL does not have (DuckDB's), as they appear in compiled SQL
DUCKDB_ONLY = [
    r"\btry_cast\s*\(", r"\btry_strptime\s*\(", r"\bstrptime\s*\(", r"\bstrftime\s*\(",
    r"\bjson_extract(_string)?\s*\(", r"\bquantile(_cont|_disc)?\s*\(", r"\bmedian\s*\(", r"\blist_\w+\s*\(",
    r"\bstruct_pack\s*\(", r"\barg_(max|min)\s*\(", r"\bdate_diff\s*\(", r"\bdatediff\s*\(",
    r"\bepoch(_ms)?\s*\(", r"\bqualify\b", r"\binterval\s+\d+\s+(day|hour|minute|month|year)s?\b",
    r"\bgenerate_subscripts\s*\(", r"\brange\s*\(", r"\bstring_split\s*\(", r"\bregexp_matches\s*\(",
]

PG_ENV = {"ITOPS_PG_HOST": "127.0.0.1", "ITOPS_PG_PORT": "1", "ITOPS_PG_USER": "compile_only",
          "ITOPS_PG_PASSWORD": "compile_only", "ITOPS_PG_DB": "itops"}


@pytest.fixture(scope="module")
def postgres_compile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``dbt compile`` of the whole project with deploy/dbt/profiles.yml's postgres target.

    No server is contacted: the adapter cache is not populated and introspective queries
    are refused, so a model that needs the warehouse to compile fails here. Incremental
    models compile their full-refresh form (whether a built table exists is a question
    for the warehouse); their incremental pre-hooks are plain portable SQL over `this`.
    """
    target = tmp_path_factory.mktemp("pg_compile")
    env = {**os.environ, **PG_ENV, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "compile", "--project-dir", str(DBT_PROJECT),
         "--profiles-dir", str(ROOT / "deploy" / "dbt"), "--target", "postgres",
         "--target-path", str(target / "target"), "--log-path", str(target / "logs"),
         "--no-populate-cache", "--no-introspect", "--no-partial-parse", "--full-refresh", "--quiet"],
        cwd=DBT_PROJECT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return target / "target"


def test_every_model_compiles_on_postgres_without_duckdb_only_sql(postgres_compile: Path) -> None:
    manifest = json.loads((postgres_compile / "manifest.json").read_text())
    assert manifest["metadata"]["adapter_type"] == "postgres"
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    assert len(models) >= 20
    problems = []
    for node in models:
        compiled = postgres_compile / "compiled" / "itops_kpi" / node["original_file_path"]
        sql = compiled.read_text()
        try:
            sqlglot.parse_one(sql, read="postgres")
        except sqlglot.errors.ParseError as exc:
            problems.append(f"{node['name']}: not PostgreSQL: {str(exc)[:200]}")
        lowered = re.sub(r"'[^']*'", "''", sql.lower())  # ignore string literals (e.g. date formats)
        problems.extend(f"{node['name']}: {pattern}" for pattern in DUCKDB_ONLY if re.search(pattern, lowered))
    assert problems == []


def test_the_postgres_target_reads_its_settings_from_the_environment() -> None:
    profile = yaml.safe_load((ROOT / "deploy" / "dbt" / "profiles.yml").read_text())["itops_kpi"]
    text = json.dumps(profile)
    for name in ("ITOPS_PG_HOST", "ITOPS_PG_USER", "ITOPS_PG_PASSWORD"):
        assert f"env_var('{name}')" in text  # required, no default: never a baked-in credential
    assert profile["outputs"]["postgres"]["type"] == "postgres"


def _validate_class(section: dict) -> None:
    cls = class_from_code_pointer(section["module"], section["class"])
    result = process_config(cls.config_type(), section.get("config") or {})
    assert result.success, (section["class"], [e.message for e in result.errors])


def test_deploy_instance_config_validates_against_postgres_and_k8s_schemas(tmp_path, monkeypatch) -> None:
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"):
        monkeypatch.setenv(name, "x")
    home = tmp_path / "deploy_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "deploy" / "dagster.yaml").read_text())
    config, _ = dagster_instance_config(str(home))
    from dagster_postgres import DagsterPostgresStorage

    storage = process_config(DagsterPostgresStorage.config_type(), config["storage"]["postgres"])
    assert storage.success, [e.message for e in storage.errors]
    _validate_class(config["run_launcher"])
    _validate_class(config["run_coordinator"])
    assert config["run_launcher"]["class"] == "K8sRunLauncher"
    limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": "itops/warehouse", "value": "writer", "limit": 1} in limits


def test_local_instance_config_loads_with_pools_and_run_monitoring(tmp_path, monkeypatch) -> None:
    from pipelines.project import dagster_home

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    home = dagster_home()
    assert (home / "dagster.yaml").read_text() == DAGSTER_YAML
    with dg.DagsterInstance.get() as instance:
        assert instance.run_monitoring_enabled
        assert instance.event_log_storage.supports_global_concurrency_limits
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    # An older file we wrote is brought up to date; a file a person wrote is left alone.
    (home / "dagster.yaml").write_text(DAGSTER_YAML.splitlines()[0] + "\ntelemetry:\n  enabled: false\n")
    dagster_home()
    assert (home / "dagster.yaml").read_text() == DAGSTER_YAML
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dagster_home()
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"

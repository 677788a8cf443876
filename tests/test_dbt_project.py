"""The dbt project on its own: every unit test (each KPI formula, the business clock's edge
cases, the status intervals, the SLA engine) passes, and `dbt docs generate` documents the
marts. Runs on an empty warehouse (`dbt build --empty`), so it needs no source data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from connectors.core.warehouse import open_writer
from connectors.registry import ensure_all_raw_tables

ROOT = Path(__file__).resolve().parents[1]


def dbt(warehouse: Path, target: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), *args, "--project-dir", "dbt_project", "--profiles-dir",
         "dbt_project", "--target-path", str(target)],
        cwd=ROOT, env={**os.environ, "ITOPS_WAREHOUSE": str(warehouse), "ITOPS_TIMEZONE": "UTC"},
        capture_output=True, text=True, timeout=600,
    )


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("dbt") / "empty.duckdb"
    with open_writer(db) as con:
        ensure_all_raw_tables(con)
    target = ROOT / "dbt_project" / "target" / f"test-project-{uuid.uuid4().hex[:8]}"
    proc = dbt(db, target, "build", "--empty", "--exclude", "resource_type:test", "resource_type:unit_test")
    assert proc.returncode == 0, proc.stdout[-5000:]
    yield db, target
    shutil.rmtree(target, ignore_errors=True)


def test_every_dbt_unit_test_passes(empty_warehouse) -> None:
    db, target = empty_warehouse
    proc = dbt(db, target, "test", "--select", "test_type:unit")
    assert proc.returncode == 0, proc.stdout[-8000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    tested = {r["unique_id"].split(".")[2] for r in results}
    assert all(r["status"] == "pass" for r in results)
    # the business clock, the engines on top of it, and every KPI family have their unit tests
    assert {"int_business_time_spine", "fct_tickets", "fct_ticket_status_intervals", "fct_ticket_sla",
            "int_kpi__service_desk", "int_kpi__backlog", "int_kpi__sla", "int_kpi__incidents",
            "int_kpi__availability", "int_kpi__changes", "int_kpi__satisfaction", "int_kpi__people",
            "int_kpi__forecast", "int_kpi__projects", "int_kpi__cost_per_ticket", "int_capacity_daily",
            "int_time_as_of", "fct_capacity_daily", "kpi_metrics"} <= tested, tested


def test_docs_generate_documents_every_mart_column(empty_warehouse) -> None:
    db, target = empty_warehouse
    proc = dbt(db, target, "docs", "generate")
    assert proc.returncode == 0, proc.stdout[-5000:]
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    undocumented = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["config"].get("schema") != "marts":
            continue
        built = catalog["nodes"][node["unique_id"]]["columns"]
        described = {name.lower() for name, column in node["columns"].items() if column.get("description")}
        if node["name"] == "kpi_scorecard_monthly":
            continue  # one generated column per metric key, described by the model as a whole
        undocumented += [f"{node['name']}.{name}" for name in built if name.lower() not in described]
    assert not undocumented, undocumented

"""End to end: Dagster definitions load, a full refresh from the fakes builds a green
warehouse, a rerun changes nothing, and the CLI fails in one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from connectors.core.warehouse import connect
from pipelines.cli import main as itops
from pipelines.definitions import build_definitions
from pipelines.runner import run_refresh
from tests.conftest import SOURCE_ENV_PREFIXES

ROOT = Path(__file__).resolve().parents[1]
MARTS = ["fct_tickets", "fct_incidents", "fct_time_entries", "dim_people", "dim_teams", "dim_date", "kpi_metrics"]


def counts(db: Path, tables: list[str]) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
    finally:
        con.close()


def test_dagster_definitions_validate() -> None:
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=os.environ.copy(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation successful" in proc.stdout + proc.stderr


def test_definitions_hold_stream_assets_dbt_models_checks_job_and_schedule() -> None:
    defs = build_definitions()
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert {"raw_servicenow/incident", "raw_harvest/time_entries", "raw_harvest/users", "raw_harvest/projects",
            "marts/fct_tickets", "marts/kpi_metrics", "staging/stg_servicenow__incidents"} <= keys
    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string() for k in graph.get(dg.AssetKey(["staging", "stg_servicenow__incidents"])).parent_keys}
    # The incremental stream and its daily-partitioned history both land in the raw table.
    assert parents == {"raw_servicenow/incident", "history/servicenow/incident"}
    checks = graph.asset_check_keys
    assert any(c.asset_key == dg.AssetKey(["marts", "fct_tickets"]) and "unique_fct_tickets_ticket_key" in c.name
               for c in checks)
    assert defs.resolve_job_def("full_refresh") is not None
    schedule = defs.resolve_schedule_def("nightly_refresh")
    assert schedule.cron_schedule == "0 2 * * *"


def test_schedule_reads_cron_and_time_zone_and_keys_runs_by_day(monkeypatch) -> None:
    monkeypatch.setenv("ITOPS_SCHEDULE_CRON", "30 1 * * 1-5")
    monkeypatch.setenv("ITOPS_TIMEZONE", "Europe/London")
    schedule = build_definitions().resolve_schedule_def("nightly_refresh")
    assert schedule.cron_schedule == "30 1 * * 1-5"
    assert schedule.execution_timezone == "Europe/London"
    from datetime import datetime
    from zoneinfo import ZoneInfo

    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 3, 3, 1, 30,
                                                                            tzinfo=ZoneInfo("Europe/London")))
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.run_key == "nightly-2026-03-03"


@pytest.mark.slow
def test_full_refresh_from_the_fakes_is_green_and_a_rerun_changes_nothing(fakes, warehouse_path) -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        first = run_refresh(build_definitions(), instance=instance)
        assert first.success, first.error
        after_first = counts(warehouse_path, [f"marts.{t}" for t in MARTS] + ["raw_servicenow.incident",
                                                                              "raw_harvest.time_entries"])
        assert all(n > 0 for n in after_first.values()), after_first
        second = run_refresh(build_definitions(), instance=instance)
        assert second.success, second.error
    assert counts(warehouse_path, list(after_first)) == after_first
    con = connect(warehouse_path, read_only=True)
    try:
        statuses = {s for (s,) in con.execute("select distinct status from raw_meta.load_runs").fetchall()}
        metrics = {m for (m,) in con.execute("select distinct metric from marts.kpi_metrics").fetchall()}
    finally:
        con.close()
    assert statuses == {"succeeded"}
    assert {"mttr_hours", "mttr_median_hours", "resolution_time_mean_hours", "resolution_time_median_hours",
            "utilization_pct"} <= metrics


def test_cli_help_lists_the_commands(capsys) -> None:
    with pytest.raises(SystemExit):
        itops(["--help"])
    out = capsys.readouterr().out
    for command in ("refresh", "demo", "fakes", "generate"):
        assert command in out


def test_cli_refresh_without_sources_says_what_to_do(capsys) -> None:
    assert itops(["refresh"]) == 2
    assert "no source is configured" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_refresh_failure_is_one_clear_line_without_secrets(fakes, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HARVEST_ACCESS_TOKEN", "wrong-token-1234567")
    assert itops(["refresh", "--source", "harvest"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "harvest/users" in err and "HTTP 401" in err and "HARVEST_ACCESS_TOKEN" in err
    assert "wrong-token-1234567" not in err


@pytest.mark.slow
def test_refresh_with_only_one_source_configured_builds_green(fakes, monkeypatch, warehouse_path) -> None:
    # Only Harvest stays configured.
    others = tuple(p for p in SOURCE_ENV_PREFIXES if p not in ("HARVEST_", "ITOPS_"))
    for key in [k for k in os.environ if k.startswith(others)]:
        monkeypatch.delenv(key)
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = run_refresh(build_definitions(), instance=instance)
    assert outcome.success, outcome.error
    built = counts(warehouse_path, ["marts.fct_time_entries", "marts.fct_tickets", "raw_servicenow.incident"])
    assert built["marts.fct_time_entries"] > 0
    assert built["marts.fct_tickets"] == 0 and built["raw_servicenow.incident"] == 0

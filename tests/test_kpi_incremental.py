"""Nightly incremental builds give exactly the marts a full refresh gives.

The fake ServiceNow and Harvest serve the tiny org as of a clock. We build the warehouse as
of 1 October 2026, then move the clock one day at a time for three nights, pulling each
night incrementally and running dbt incrementally, exactly as the nightly schedule does.
The nights hold the hard cases: reopened tickets, late updates to tickets opened before
the first build, and two tickets deleted at the source (flagged by the third night's full
read: one deleted the night before, one two nights before, unseen by the incremental
pull in between). After the last night the data tests run on
the incremental state, and every mart is compared, row for row, with a full refresh of
the same raw data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from connectors.core.base import run_stream
from connectors.core.warehouse import open_writer
from connectors.fakes.suite import FakeSuite, start_fakes
from connectors.registry import CONNECTORS, ensure_all_raw_tables

ROOT = Path(__file__).resolve().parents[1]
FIRST_NIGHT = datetime(2026, 10, 1, tzinfo=UTC)
NIGHTS = 3
#: nights (1-based) on which ServiceNow incidents are also read in full, which flags deletes
FULL_READ_NIGHTS = {3}
#: ServiceNow tickets deleted at the source during the run, and when
DELETES = [datetime(2026, 10, 2, 10, 0, tzinfo=UTC), datetime(2026, 10, 3, 9, 0, tzinfo=UTC)]
INCREMENTAL_MODELS = ["fct_tickets", "fct_ticket_status_intervals", "fct_ticket_sla"]
#: KPI families that recompute only the periods whose items changed (macros/kpi_incremental.sql)
PERIOD_INCREMENTAL_KPIS = ["int_kpi__service_desk", "int_kpi__sla", "int_kpi__incidents", "int_kpi__satisfaction",
                           "int_kpi__changes", "int_kpi__cost_per_ticket", "int_kpi__people"]
#: staging models that parse only the records loaded since their last build (macros/incremental.sql)
INCREMENTAL_STAGING = [
    "stg_servicenow__incidents", "stg_servicenow__task_slas", "stg_servicenow__state_durations",
    "stg_servicenow__assignment_durations", "stg_servicenow__survey_results", "stg_jira__issues",
    "stg_jira__issue_field_changes", "stg_jira__slas", "stg_zendesk__tickets", "stg_zendesk__ticket_events",
    "stg_zendesk__ticket_field_changes", "stg_zendesk__ticket_metrics", "stg_zendesk__satisfaction_ratings",
    "stg_harvest__time_entries", "stg_runn__actuals", "stg_pagerduty__incidents", "stg_pagerduty__log_entries",
]


@pytest.fixture
def fakes_with_deletes(tiny_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSuite]:
    """The `fakes` fixture over a copy of the tiny org in which two ServiceNow tickets are
    deleted at the source during the nights under test (the tiny org draws no delete there).

    A delete is one more version of the ticket, exactly as the generator writes deletes:
    the ticket's last state, flagged deleted, at the moment of deletion."""
    store = tmp_path / "org-with-deletes.duckdb"
    shutil.copy(tiny_store, store)
    con = duckdb.connect(str(store))
    try:
        for deleted_at in DELETES:
            con.execute(
                """
                insert into ticket_events
                select ticket_id, seq + 1, $deleted_at, 'delete', status, priority, team_id, assignee_id,
                       reassignment_count, reopen_count, first_response_at, resolved_at, closed_at, true
                from ticket_events
                where ticket_id = (
                    -- the latest-opened ServiceNow ticket whose whole history ends a day before the delete
                    select t.ticket_id from tickets t join ticket_events e using (ticket_id)
                    where t.source = 'servicenow'
                    group by t.ticket_id, t.opened_at
                    having max(e.event_at) < $deleted_at - interval 1 day and not bool_or(e.is_deleted)
                    order by t.opened_at desc limit 1
                )
                qualify row_number() over (order by seq desc) = 1
                """,
                {"deleted_at": deleted_at},
            )
        assert con.execute("select count(*) from ticket_events where event = 'delete'").fetchone()[0] == 2
    finally:
        con.close()
    suite = start_fakes(store)
    for key, value in suite.env.items():
        monkeypatch.setenv(key, value)
    try:
        yield suite
    finally:
        suite.stop()


def pull(warehouse: Path, night: int) -> None:
    """One night's pull: every stream incrementally, ServiceNow incidents also in full on some nights."""
    with open_writer(warehouse) as con:
        ensure_all_raw_tables(con)
        for source, cls in CONNECTORS.items():
            connector = cls.from_env()
            for spec in connector.streams():
                run_stream(con, connector, spec.name, mode="incremental")
                if source == "servicenow" and spec.name == "incident" and night in FULL_READ_NIGHTS:
                    run_stream(con, connector, spec.name, mode="full")


#: seeds and models only (the data tests run once, on the last night's state). No lookback
#: window: the fingerprints alone must catch every change (the window is a safety net).
BUILD = ["build", "--exclude", "resource_type:test", "resource_type:unit_test", "--vars", "{ticket_lookback_hours: 0}"]


def dbt(warehouse: Path, target: Path, *args: str) -> dict:
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), *args, "--project-dir", "dbt_project", "--profiles-dir",
         "dbt_project", "--target-path", str(target)],
        cwd=ROOT, env={**os.environ, "ITOPS_WAREHOUSE": str(warehouse), "ITOPS_TIMEZONE": "Europe/London"},
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-6000:]
    return json.loads((target / "run_results.json").read_text())


def changed_periods(warehouse: Path, invocation_id: str) -> dict[str, tuple[int, int]]:
    """Per period-incremental KPI family: (periods the run ``invocation_id`` recomputed, periods held)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {model: con.execute(
            f"select count(distinct (grain, period_start)) filter (where _invocation_id = $1), "
            f"count(distinct (grain, period_start)) from intermediate.{model}", [invocation_id]).fetchone()
            for model in PERIOD_INCREMENTAL_KPIS}
    finally:
        con.close()


def marts(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]


#: the key of every mart, to pair its rows between the two builds
MART_KEYS = {
    "fct_tickets": ["ticket_key"], "fct_ticket_status_intervals": ["status_interval_key"],
    "fct_ticket_sla": ["sla_key"],
    "fct_incidents": ["incident_key"], "fct_changes": ["change_key"], "fct_csat_responses": ["response_key"],
    "fct_time_entries": ["time_entry_key"], "dim_people": ["person_id"], "dim_teams": ["team_id"],
    "dim_services": ["service_id"], "dim_date": ["date_day"], "dim_projects": ["project_id"],
    "fct_capacity_daily": ["person_id", "date_day"], "fct_assignments": ["assignment_key", "date_day"],
    "fct_project_financials": ["project_id", "month_start"],
    "kpi_metrics": ["metric", "grain", "period_start", "dimension", "dimension_value"],
    "kpi_scorecard_monthly": ["month_start", "dimension", "dimension_value"],
}


def mismatches(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, list]:
    """Rows of marts.<table> and incremental_state.<table> that do not pair up with equal values.

    Doubles compare to a relative 1e-9: DuckDB's threads may add a sum's terms in a different
    order from one build to the next (two full refreshes can differ in the last bit too),
    which is not a difference between the two ways of building."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = 'marts' "
        "and table_name = ? order by ordinal_position", [table]).fetchall()
    keys = MART_KEYS[table]
    join = " and ".join(f'a."{k}" = b."{k}"' for k in keys)
    differs = []
    for column, data_type in columns:
        a, b = f'a."{column}"', f'b."{column}"'
        same = f"{a} is not distinct from {b}"
        if data_type in ("DOUBLE", "FLOAT"):
            same = f"({same} or abs({a} - {b}) <= 1e-9 * greatest(1, abs({a}), abs({b})))"
        differs.append(f"not {same}")
    where = f'a."{keys[0]}" is null or b."{keys[0]}" is null or ' + " or ".join(differs)
    sql = f"from incremental_state.{table} a full outer join marts.{table} b on {join} where {where}"
    count = con.execute(f"select count(*) {sql}").fetchone()[0]
    sample = con.execute(f"select a.*, b.* {sql} limit 4").fetchall() if count else []
    return count, sample


@pytest.mark.slow
def test_nightly_increments_with_late_updates_deletes_and_reopens_equal_a_full_refresh(
    fakes_with_deletes: FakeSuite, warehouse_path: Path, tmp_path: Path,
) -> None:
    store = fakes_with_deletes.store
    target = ROOT / "dbt_project" / "target" / f"test-incremental-{uuid.uuid4().hex[:8]}"
    try:
        store.set_clock(FIRST_NIGHT)
        pull(warehouse_path, night=0)
        dbt(warehouse_path, target, *BUILD)
        con = duckdb.connect(str(warehouse_path), read_only=True)
        first_keys = {k for (k,) in con.execute("select ticket_key from marts.fct_tickets").fetchall()}
        con.close()

        for night in range(1, NIGHTS + 1):
            store.advance(timedelta(days=1))
            pull(warehouse_path, night)
            results = dbt(warehouse_path, target, *BUILD)
            compiled = {r["unique_id"].split(".")[-1]: r.get("compiled_code") or "" for r in results["results"]}
            for model in INCREMENTAL_MODELS:
                # the incremental branch ran (appending only tickets without rows), not a rebuild
                assert "as built where built.ticket_key" in compiled[model], model
            for model in INCREMENTAL_STAGING:
                # only the records loaded since the last build were parsed
                assert "raw_rows._loaded_at >= coalesce(" in compiled[model], model
            for model in PERIOD_INCREMENTAL_KPIS:
                # only the items of changed periods were rolled up
                assert "anchor_date in (select anchor_date from kpi_changed_days)" in compiled[model], model
            changed = changed_periods(warehouse_path, results["metadata"]["invocation_id"])
            # the night changed some periods, and not all of them
            assert 0 < changed["int_kpi__service_desk"][0] < changed["int_kpi__service_desk"][1], changed
        dbt(warehouse_path, target, "test", "--exclude", "test_type:unit")  # data tests hold on the increments

        con = duckdb.connect(str(warehouse_path))
        try:
            # The nights held what they should: reopens, late updates, deletes.
            window = [FIRST_NIGHT, store.clock]
            reopened, late = store.query(
                """select count(*) filter (where e.event = 'reopen'),
                          count(distinct e.ticket_id) filter (where t.opened_at < $1)
                   from ticket_events e join tickets t using (ticket_id)
                   where t.source = 'servicenow' and e.event_at >= $1 and e.event_at < $2""", window)[0]
            assert reopened >= 2 and late >= 10, (reopened, late)
            deleted = {f"servicenow:{k}" for (k,) in con.execute(
                "select id from raw_servicenow.incident where _is_deleted").fetchall()}
            assert len(deleted) == 2 and deleted <= first_keys
            assert not con.execute(
                "select count(*) from marts.fct_tickets where ticket_key in (select unnest($1))",
                [sorted(deleted)]).fetchone()[0]
            con.execute("create schema incremental_state")
            for table in marts(con):
                con.execute(f"create table incremental_state.{table} as select * from marts.{table}")
        finally:
            con.close()

        dbt(warehouse_path, target, *BUILD, "--full-refresh")

        con = duckdb.connect(str(warehouse_path), read_only=True)
        try:
            tables = marts(con)
            assert {"fct_tickets", "fct_ticket_status_intervals", "fct_ticket_sla", "kpi_metrics",
                    "kpi_scorecard_monthly", "dim_teams"} <= set(tables)
            differences = {}
            for table in tables:
                count, sample = mismatches(con, table)
                rows = con.execute(f"select count(*) from marts.{table}").fetchone()[0]
                if count or (rows == 0 and table.startswith("fct_ticket")):
                    differences[table] = (count, rows, sample)
            assert not differences, differences
        finally:
            con.close()
    finally:
        shutil.rmtree(target, ignore_errors=True)

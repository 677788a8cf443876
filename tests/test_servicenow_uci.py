"""The real ServiceNow event log (UCI, 141,712 updates of 24,918 incidents) served by the
fake Table API, read by our connector, built by dbt: per-incident resolution times in
fct_tickets and the monthly KPIs in kpi_metrics equal a hand computation done directly on
the CSV (the last row of each incident is its final state; resolved_at - opened_at).

The hand computation uses only the standard library, never the loader's SQL."""

from __future__ import annotations

import csv
import io
import os
import statistics
import subprocess
import sys
import uuid
import zipfile
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from connectors.core.base import run_stream
from connectors.core.warehouse import open_writer
from connectors.fakes.base import OrgStore
from connectors.fakes.servicenow import FakeServiceNow
from connectors.fakes.uci import UCI_INTERNAL, UCI_TABLES, build_uci_store, find_dataset
from connectors.registry import ensure_all_raw_tables
from connectors.servicenow import ServiceNowConnector

ROOT = Path(__file__).resolve().parents[1]
DATASET = find_dataset(ROOT)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        DATASET is None,
        reason="the UCI event log is not on this machine: expected shared/datasets/uci-incident-event-log/"
        "incident_event_log.zip beside the repository, or a path in ITOPS_UCI_DATASET",
    ),
]


def parse(text: str) -> datetime | None:
    return None if text == "?" else datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=UTC)


def final_rows() -> dict[str, dict[str, str]]:
    """INC number -> the incident's last row in the CSV, as text."""
    with zipfile.ZipFile(DATASET) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".csv"))
        with archive.open(name) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
            header = next(reader)
            assert header[0] == "number" and header[1] == "ident_state"
            columns = {c: header.index(c) for c in ("opened_at", "resolved_at", "reopen_count", "reassignment_count")}
            state, updated = header.index("ident_state"), header.index("sys_updated_at")
            last: dict[str, list[str]] = {}
            latest: dict[str, datetime] = {}
            first_response: dict[str, datetime] = {}
            for row in reader:
                number = row[0]
                last[number] = row  # rows of an incident are in order: the last one wins
                # Updates never go back in time (one row of the log is stamped before its predecessor).
                latest[number] = max(latest.get(number, parse(row[updated])), parse(row[updated]))
                if row[state] not in ("New", "-100") and number not in first_response:
                    first_response[number] = latest[number]  # first left New
    return {"INC" + number: {**{c: row[i] for c, i in columns.items()}, "first_response_at": first_response.get(number)}
            for number, row in last.items()}


@pytest.fixture(scope="module")
def hand() -> dict[str, dict]:
    """Per incident: opened_at, resolved_at and the resolution time in hours, from the CSV."""
    out = {}
    for number, row in final_rows().items():
        opened, resolved = parse(row["opened_at"]), parse(row["resolved_at"])
        out[number] = {
            "opened_at": opened,
            "resolved_at": resolved,
            "hours": None if resolved is None else (resolved - opened).total_seconds() / 3600,
            "reopen_count": int(row["reopen_count"]),
            "reassignment_count": int(row["reassignment_count"]),
            "first_response_at": row["first_response_at"],
        }
    return out


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The UCI log through fake ServiceNow -> connector (every stream) -> DuckDB -> dbt build."""
    tmp = tmp_path_factory.mktemp("uci")
    store = OrgStore(build_uci_store(DATASET, tmp / "uci-store.duckdb"))
    api = FakeServiceNow(store, username="uci-reader", password="uci-secret-password", tables=UCI_TABLES,
                         internal=UCI_INTERNAL)
    db = tmp / "warehouse.duckdb"
    loads = {}
    with pytest.MonkeyPatch.context() as env, api:
        for key, value in {"SERVICENOW_INSTANCE_URL": api.url, "SERVICENOW_USERNAME": "uci-reader",
                           "SERVICENOW_PASSWORD": "uci-secret-password", "SERVICENOW_PAGE_SIZE": "10000",
                           "ITOPS_START_DATE": "2016-01-01", "ITOPS_WAREHOUSE": str(db)}.items():
            env.setenv(key, value)
        connector = ServiceNowConnector.from_env()
        with open_writer(db) as con:
            ensure_all_raw_tables(con)
            for spec in connector.streams():
                loads[spec.name] = run_stream(con, connector, spec.name)
    store.close()
    target = ROOT / "dbt_project" / "target" / f"test-uci-{uuid.uuid4().hex[:8]}"
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--project-dir", "dbt_project", "--profiles-dir",
         "dbt_project", "--target-path", str(target), "--exclude", "test_type:unit"],
        cwd=ROOT, env={**os.environ, "ITOPS_WAREHOUSE": str(db), "ITOPS_TIMEZONE": "UTC"},
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-5000:]
    return db, loads


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_every_stream_lands_without_quarantine(warehouse) -> None:
    _, loads = warehouse
    assert loads["incident"].rows == 24_918
    assert loads["metric_instance"].rows > 100_000 and loads["task_sla"].rows > 24_918
    assert {name: r.quarantined for name, r in loads.items() if r.quarantined} == {}


def test_each_incidents_resolution_time_matches_the_csv(warehouse, hand) -> None:
    db, _ = warehouse
    rows = query(db, """select number, status_category, opened_at, resolved_at, resolution_calendar_hours,
                               reopen_count, reassignment_count, first_response_at
                        from marts.fct_tickets where source = 'servicenow'""")
    assert len(rows) == len(hand) == 24_918
    mismatches = []
    for number, status, opened, resolved, hours, reopens, reassignments, responded in rows:
        expected = hand[number]
        assert status == "closed"  # every incident of the log ends Closed
        got = (opened, resolved, hours, reopens, reassignments, responded)
        want = (expected["opened_at"], expected["resolved_at"], expected["hours"], expected["reopen_count"],
                expected["reassignment_count"], expected["first_response_at"])
        if got[:2] != want[:2] or got[3:] != want[3:] or (hours is None) != (want[2] is None) or (
                hours is not None and abs(hours - want[2]) > 1e-9):
            mismatches.append((number, got, want))
    assert mismatches == []
    # The log's shape (UCI dataset notes): ~22 h median, a long tail, 1,556 incidents without resolved_at.
    resolved = [h["hours"] for h in hand.values() if h["hours"] is not None]
    assert len(resolved) == 23_362
    assert 20 < statistics.median(resolved) < 25


def test_monthly_resolution_kpis_match_the_hand_computation(warehouse, hand) -> None:
    db, _ = warehouse
    by_month: dict[date, list[float]] = defaultdict(list)
    for incident in hand.values():
        if incident["hours"] is not None:
            by_month[incident["resolved_at"].date().replace(day=1)].append(incident["hours"])
    metrics = {
        (metric, period): (numerator, denominator, value)
        for metric, period, numerator, denominator, value in query(db, """
            select metric, period_start, numerator, denominator, value from marts.kpi_metrics
            where grain = 'month' and dimension = 'all'
              and metric in ('resolution_time_mean_hours', 'resolution_time_median_hours', 'tickets_resolved')""")
    }
    assert {p for m, p in metrics if m == "tickets_resolved"} == set(by_month)
    for month, hours in by_month.items():
        assert metrics[("tickets_resolved", month)][2] == len(hours)
        numerator, denominator, mean = metrics[("resolution_time_mean_hours", month)]
        assert denominator == len(hours)
        assert numerator == pytest.approx(sum(hours), rel=1e-12)
        assert mean == pytest.approx(sum(hours) / len(hours), rel=1e-12)
        assert metrics[("resolution_time_median_hours", month)][2] == pytest.approx(statistics.median(hours),
                                                                                    rel=1e-12)
    # April 2016, the busiest month, spelled out.
    april = by_month[date(2016, 4, 1)]
    assert len(april) == 7_794
    assert metrics[("resolution_time_mean_hours", date(2016, 4, 1))][2] == pytest.approx(
        sum(april) / len(april), rel=1e-12)


def test_monthly_volumes_match_the_csv(warehouse, hand) -> None:
    db, _ = warehouse
    opened: dict[date, int] = defaultdict(int)
    for incident in hand.values():
        opened[incident["opened_at"].date().replace(day=1)] += 1
    got = dict(query(db, """select period_start, cast(value as integer) from marts.kpi_metrics
                            where metric = 'tickets_opened' and grain = 'month' and dimension = 'all'"""))
    assert got == opened


def test_real_state_histories_have_no_gaps_and_end_closed(warehouse) -> None:
    db, _ = warehouse
    (incidents, gaps, closed) = query(db, """
        with ordered as (
            select incident_id, state_name, started_at, ended_at,
                   lead(started_at) over (partition by incident_id order by started_at, ended_at nulls last)
                       as next_started_at,
                   max(started_at) over (partition by incident_id) as last_change_at
            from staging.stg_servicenow__state_durations
        )
        select count(distinct incident_id),
               count(*) filter (where next_started_at is not null and ended_at <> next_started_at),
               -- the log's updates are stamped to the minute: several changes can share the last one
               count(distinct incident_id) filter (
                   where state_name = 'Closed' and started_at = last_change_at and ended_at = started_at)
        from ordered""")[0]
    assert (incidents, gaps, closed) == (24_918, 0, 24_918)

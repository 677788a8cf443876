"""ServiceNow's ITSM streams against the fake Table API: every stream lands incrementally and
as a backfill window, deletes come from sys_audit_delete (with the incident's SLAs and
metrics), an unreadable audit table degrades to id reconciliation, v1's 404-on-empty."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import requests

from connectors.core.base import run_stream
from connectors.core.warehouse import connect, open_writer
from connectors.fakes.suite import start_fakes
from connectors.servicenow import ServiceNowConnector

TRANSACTIONAL = ["task_sla", "metric_instance", "change_request", "problem", "asmt_assessment_instance",
                 "asmt_metric_result"]
REFERENCE = ["cmn_location", "contract_sla", "asmt_metric"]
CHILDREN = {"task_sla": "task", "metric_instance": "id"}


def served(suite, table: str, fields: str = "sys_id,sys_updated_on") -> dict[str, str]:
    """sys_id -> sys_updated_on of every row the fake serves now (one big page)."""
    env = suite.env
    response = requests.get(
        f"{env['SERVICENOW_INSTANCE_URL']}/api/now/table/{table}",
        params={"sysparm_limit": "100000", "sysparm_fields": fields, "sysparm_exclude_reference_link": "true"},
        auth=(env["SERVICENOW_USERNAME"], env["SERVICENOW_PASSWORD"]), timeout=30,
    )
    response.raise_for_status()
    return {r["sys_id"]: r["sys_updated_on"] for r in response.json()["result"]}


def rows_of(suite, table: str) -> list[dict]:
    env = suite.env
    response = requests.get(
        f"{env['SERVICENOW_INSTANCE_URL']}/api/now/table/{table}",
        params={"sysparm_limit": "100000", "sysparm_exclude_reference_link": "true"},
        auth=(env["SERVICENOW_USERNAME"], env["SERVICENOW_PASSWORD"]), timeout=30,
    )
    response.raise_for_status()
    return response.json()["result"]


def load(stream: str, **kwargs):
    connector = ServiceNowConnector.from_env()
    with open_writer() as con:
        return run_stream(con, connector, stream, **kwargs)


def held(table: str, where: str = "true") -> dict[str, str]:
    con = connect(read_only=True)
    try:
        return dict(con.execute(
            f"select id, strftime(updated_at, '%Y-%m-%d %H:%M:%S') from raw_servicenow.{table} where {where}"
        ).fetchall())
    finally:
        con.close()


def flagged(table: str) -> dict[str, datetime]:
    con = connect(read_only=True)
    try:
        return dict(con.execute(f"select id, _deleted_at from raw_servicenow.{table} where _is_deleted").fetchall())
    finally:
        con.close()


def snapshot(table: str) -> list[tuple]:
    con = connect(read_only=True)
    try:
        return con.execute(
            f"select id, updated_at, record::varchar, _is_deleted from raw_servicenow.{table} order by id"
        ).fetchall()
    finally:
        con.close()


# -- every stream, incrementally and as a backfill window ---------------------------------------------


@pytest.mark.parametrize("stream", TRANSACTIONAL + REFERENCE)
def test_stream_lands_incrementally_to_the_end_and_a_rerun_changes_nothing(fakes, monkeypatch, stream) -> None:
    monkeypatch.setenv("SERVICENOW_PAGE_SIZE", "25")
    expected = served(fakes, stream)
    assert expected, f"the fake serves no {stream} rows"
    result = load(stream)
    assert held(stream) == expected
    assert result.quarantined == 0
    assert result.pages >= len(expected) // 25
    before = snapshot(stream)
    load(stream)
    assert snapshot(stream) == before


@pytest.mark.parametrize("stream", TRANSACTIONAL + REFERENCE)
def test_stream_backfills_exactly_its_window_and_leaves_the_cursor(fakes, monkeypatch, stream) -> None:
    monkeypatch.setenv("SERVICENOW_PAGE_SIZE", "25")
    everything = served(fakes, stream)
    stamps = sorted(everything.values())
    # A week from the median row's day: a strict subset for the facts, all of a reference table.
    start = datetime.fromisoformat(stamps[len(stamps) // 2][:10]).replace(tzinfo=UTC)
    end = start + timedelta(days=7)
    window = {k: v for k, v in everything.items() if start.strftime("%Y-%m-%d") <= v < end.strftime("%Y-%m-%d")}
    assert window
    load(stream, mode="backfill", start=start, end=end)
    assert held(stream) == window
    con = connect(read_only=True)
    try:
        assert con.execute("select count(*) from raw_meta.stream_state where stream = ?", [stream]).fetchone()[0] == 0
        assert con.execute("select count(*) from raw_meta.backfill_windows where stream = ?",
                           [stream]).fetchone()[0] == 1
    finally:
        con.close()
    before = snapshot(stream)
    load(stream, mode="backfill", start=start, end=end)
    assert snapshot(stream) == before


def test_metric_instance_is_read_with_a_server_side_filter(fakes) -> None:
    load("metric_instance")
    queries = [r.query["sysparm_query"][0] for r in fakes.apis["servicenow"].requests
               if r.path.endswith("/metric_instance") and "sysparm_query" in r.query]
    assert queries and all("^table=incident^fieldINincident_state,assignment_group" in q for q in queries)


def test_v1_answers_404_on_an_empty_new_table_and_the_read_goes_on(fakes, monkeypatch) -> None:
    monkeypatch.setenv("SERVICENOW_API_VERSION", "v1")
    result = load("task_sla", mode="backfill", start=datetime(2001, 1, 1, tzinfo=UTC),
                  end=datetime(2001, 1, 2, tzinfo=UTC))
    assert result.rows == 0
    statuses = {(r.path, r.status) for r in fakes.apis["servicenow"].requests}
    assert ("/api/now/v1/table/task_sla", 404) in statuses
    assert ("/api/now/v1/table/sys_audit_delete", 404) in statuses  # no deletes in the window either
    # The same table in v1 with rows: 200 and every row.
    load("task_sla")
    assert held("task_sla") == served(fakes, "task_sla")


# -- deletes -------------------------------------------------------------------------------------------


def children_of(incident: str) -> dict[str, set[str]]:
    """The ids we hold of the incident's task_sla and metric_instance rows (empty if not loaded)."""
    con = connect(read_only=True)
    try:
        loaded = {t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw_servicenow'").fetchall()}
        return {
            table: {i for (i,) in con.execute(
                f"select id from raw_servicenow.{table} where coalesce(record->'{column}'->>'value', "
                f"record->>'{column}') = ?", [incident]).fetchall()} if table in loaded else set()
            for table, column in CHILDREN.items()
        }
    finally:
        con.close()


def a_closed_incident(suite) -> str:
    return next(r["sys_id"] for r in rows_of(suite, "incident") if r["state"] == "7")


def test_deletes_in_sys_audit_delete_are_flagged_with_the_incidents_slas_and_metrics(fakes) -> None:
    streams = ["incident", "task_sla", "metric_instance"]
    for stream in streams:
        load(stream)
    victim = a_closed_incident(fakes)
    children = children_of(victim)
    assert children["task_sla"] and len(children["metric_instance"]) >= 3
    api = fakes.apis["servicenow"]
    assert api.delete_record("incident", victim) == 1
    deleted_at = fakes.store.clock
    results = {stream: load(stream) for stream in streams}
    assert {s: r.deleted for s, r in results.items()} == {
        "incident": 1, "task_sla": len(children["task_sla"]), "metric_instance": len(children["metric_instance"])}
    assert flagged("incident") == {victim: deleted_at}
    assert set(flagged("task_sla")) == children["task_sla"]
    assert set(flagged("metric_instance")) == children["metric_instance"]
    assert all(at == deleted_at for at in flagged("metric_instance").values())
    # Everything else stays live, and the audit was asked about each table by name.
    assert len(held("incident", "not _is_deleted")) == len(served(fakes, "incident"))
    audit_queries = [r.query["sysparm_query"][0] for r in api.requests if r.path.endswith("/sys_audit_delete")]
    assert {q.split("^tablename=")[1].split("^")[0] for q in audit_queries} == set(streams)
    # Rerunning keeps the flags and flags nothing more.
    again = load("incident")
    assert again.deleted == 0 and flagged("incident") == {victim: deleted_at}


def test_a_backfill_window_applies_the_deletes_inside_it(fakes) -> None:
    load("incident")
    victim = a_closed_incident(fakes)
    fakes.apis["servicenow"].delete_record("incident", victim)
    clock = fakes.store.clock
    result = load("incident", mode="backfill", start=clock - timedelta(days=1), end=clock + timedelta(days=1))
    assert result.deleted == 1
    assert flagged("incident") == {victim: clock}


@pytest.fixture
def store_with_a_deleted_incident(tiny_store: Path, tmp_path: Path) -> tuple[Path, int, datetime]:
    """The tiny org, with one ServiceNow incident deleted a day after it closed (in its history)."""
    path = tmp_path / "org-with-delete.duckdb"
    shutil.copy(tiny_store, path)
    con = duckdb.connect(str(path))
    try:
        con.execute("set TimeZone = 'UTC'")
        ticket_id, closed_at = con.execute("""
            select e.ticket_id, e.event_at from ticket_events e join tickets t using (ticket_id)
            where t.source = 'servicenow' and e.event = 'close' and e.event_at < timestamptz '2026-10-20'
            order by e.ticket_id limit 1""").fetchone()
        deleted_at = closed_at + timedelta(days=1)
        con.execute("""
            insert into ticket_events
            select ticket_id, seq + 1, ?, 'delete', status, priority, team_id, assignee_id, reassignment_count,
                   reopen_count, first_response_at, resolved_at, closed_at, true
            from ticket_events where ticket_id = ? qualify row_number() over (order by seq desc) = 1""",
                    [deleted_at, ticket_id])
    finally:
        con.close()
    return path, ticket_id, deleted_at


def test_deletes_in_the_sources_history_reach_the_raw_tables(store_with_a_deleted_incident, monkeypatch) -> None:
    path, _, deleted_at = store_with_a_deleted_incident
    suite = start_fakes(path, ["servicenow"])
    try:
        for key, value in suite.env.items():
            monkeypatch.setenv(key, value)
        streams = ["incident", "task_sla", "metric_instance"]
        suite.store.set_clock(deleted_at - timedelta(hours=1))
        for stream in streams:
            load(stream)
        live_before = held("incident")
        suite.store.set_clock(deleted_at + timedelta(days=2))
        audit = rows_of(suite, "sys_audit_delete")
        victim = next(r["documentkey"] for r in audit if r["tablename"] == "incident")
        assert victim in live_before and victim not in served(suite, "incident")
        children = children_of(victim)
        assert {r["tablename"] for r in audit} == {"incident", "task_sla", "metric_instance"}
        assert {r["documentkey"] for r in audit if r["tablename"] != "incident"} == (
            children["task_sla"] | children["metric_instance"])
        assert {r["sys_created_on"] for r in audit} == {deleted_at.strftime("%Y-%m-%d %H:%M:%S")}
        for stream in streams:
            load(stream)
        assert flagged("incident") == {victim: deleted_at}
        assert set(flagged("task_sla")) == children["task_sla"]
        assert set(flagged("metric_instance")) == children["metric_instance"]
    finally:
        suite.stop()


def test_an_unreadable_audit_table_degrades_to_id_reconciliation_and_says_so(fakes, caplog) -> None:
    load("incident")
    load("task_sla")
    api = fakes.apis["servicenow"]
    api.denied_tables.add("sys_audit_delete")
    victim = a_closed_incident(fakes)
    slas = children_of(victim)["task_sla"]
    api.delete_record("incident", victim)
    connector = ServiceNowConnector.from_env()
    with caplog.at_level(logging.INFO, logger="itops"), open_writer() as con:
        incident = run_stream(con, connector, "incident")
        task_sla = run_stream(con, connector, "task_sla")
    assert incident.deleted == 1 and set(flagged("incident")) == {victim}
    assert task_sla.deleted == len(slas) and set(flagged("task_sla")) == slas
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # said once per run, not once per stream
    assert "sys_audit_delete is not readable (HTTP 403" in warnings[0]
    assert "reconciling their ids" in warnings[0] and "Grant the integration user read access" in warnings[0]
    # The reconciliation reads ids only, keyset-paged on sys_id.
    census = [r for r in api.requests if r.path.endswith("/incident") and r.query.get("sysparm_fields") == ["sys_id"]]
    assert census and all(q.query["sysparm_query"][0].endswith("ORDERBYsys_id") for q in census)


def test_audit_rows_hidden_by_acls_also_degrade_but_hidden_records_are_never_taken_for_deleted(
        fakes, monkeypatch, caplog) -> None:
    monkeypatch.setenv("SERVICENOW_PAGE_SIZE", "20")
    load("incident")
    api = fakes.apis["servicenow"]
    victim = a_closed_incident(fakes)
    api.delete_record("incident", victim)
    api.acl_hidden["sys_audit_delete"] = "true"  # the table answers, but every row is filtered out
    with caplog.at_level(logging.INFO, logger="itops"):
        assert load("incident").deleted == 1
    assert "ACLs hide 1 of its 1 rows" in caplog.text
    # Now ACLs hide some incidents too: their absence from the id census must not flag them.
    api.acl_hidden["incident"] = "number like '%3'"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="itops"):
        assert load("incident").deleted == 0
    assert "no deletes flagged this run" in caplog.text
    assert set(flagged("incident")) == {victim}


def test_deletes_cursor_follows_the_newest_audit_row(fakes) -> None:
    load("incident")
    api = fakes.apis["servicenow"]
    victim = a_closed_incident(fakes)
    api.delete_record("incident", victim)
    load("incident")
    con = connect(read_only=True)
    try:
        (cursor,) = con.execute(
            "select cursor from raw_meta.stream_state where stream = 'incident'").fetchone()
    finally:
        con.close()
    assert '"deletes_since": "' + fakes.store.clock.isoformat() + '"' in cursor
    # The next scan starts there (less the overlap), not at the start of history.
    load("incident")
    last_scan = [r.query["sysparm_query"][0] for r in api.requests if r.path.endswith("/sys_audit_delete")][-1]
    start = (fakes.store.clock - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M:%S")
    assert last_scan.startswith(f"sys_created_on>={start}^")

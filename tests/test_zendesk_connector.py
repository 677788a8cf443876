"""Zendesk connector against the fake Support API: cursor export to the end of the stream,
after_cursor committed and reused (start_time never re-sent), time-based page-boundary
duplicates, rate limits, faults, deletes, quarantine, backfills, crashes, CSAT."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import requests

from connectors.core.base import run_stream
from connectors.core.errors import AuthError, RetriesExhaustedError
from connectors.core.http import RequestBudget
from connectors.core.warehouse import connect, open_writer
from connectors.fakes.base import Fault
from connectors.fakes.zendesk import decode_export_cursor
from connectors.zendesk import STREAMS, ZendeskConnector
from tests.crash import kill_load_midway, load_to_the_end

ROOT = Path(__file__).resolve().parents[1]
EXPORT = "/api/v2/incremental/tickets/cursor"
EVENTS = "/api/v2/incremental/ticket_events"


# -- helpers -----------------------------------------------------------------------------------------


def zget(suite, path: str, **params) -> requests.Response:
    """Ask the fake directly, as the connector's user would."""
    env = suite.env
    return requests.get(
        env["ZENDESK_BASE_URL"] + path,
        params=params,
        auth=(env["ZENDESK_EMAIL"] + "/token", env["ZENDESK_API_TOKEN"]),
        timeout=30,
    )


def expected_tickets(suite, **params) -> dict[str, int]:
    """ticket id -> generated_timestamp of every ticket the export serves now (one big page)."""
    body = zget(suite, EXPORT, start_time=0, per_page=1000, **params).json()
    assert body["end_of_stream"]
    return {str(t["id"]): t["generated_timestamp"] for t in body["tickets"]}


def expected_events(suite) -> dict[str, int]:
    body = zget(suite, EVENTS, start_time=0, per_page=1000).json()
    assert body["end_of_stream"]
    return {str(e["id"]): e["timestamp"] for e in body["ticket_events"]}


def load(stream: str = "tickets", connector: ZendeskConnector | None = None, **kwargs):
    connector = connector or ZendeskConnector.from_env()
    with open_writer() as con:
        return run_stream(con, connector, stream, **kwargs)


def query(sql: str, params: list | None = None) -> list[tuple]:
    con = connect(read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def loaded(table: str = "tickets") -> dict[str, int]:
    return dict(query(f"select id, cast(epoch(updated_at) as bigint) from raw_zendesk.{table}"))


def cursor(stream: str = "tickets") -> dict | None:
    rows = query("select cursor from raw_meta.stream_state where source = 'zendesk' and stream = ?", [stream])
    return json.loads(rows[0][0]) if rows else None


def calls(api, path: str, since: int = 0) -> list:
    return [r for r in api.requests[since:] if r.path == path]


def table_rows(db: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            f"select id, updated_at, record::varchar, _is_deleted from raw_zendesk.{table} order by id"
        ).fetchall()
    finally:
        con.close()


# -- the cursor-based ticket export ------------------------------------------------------------------


def test_cursor_export_pages_to_end_of_stream_sending_start_time_only_first(zendesk, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_EXPORT_PAGE_SIZE", "7")
    api = zendesk.apis["zendesk"]
    expected = expected_tickets(zendesk)
    assert len(expected) > 70  # many pages at 7 per page
    mark = len(api.requests)
    result = load()
    assert loaded() == expected
    sent = calls(api, EXPORT, mark)
    assert len(sent) == result.pages >= len(expected) // 7
    assert "start_time" in sent[0].query and "cursor" not in sent[0].query
    assert all("cursor" in c.query and "start_time" not in c.query for c in sent[1:])
    # The committed cursor is the after_cursor of the last page: the newest (generated_timestamp, id).
    newest = max((stamp, int(i)) for i, stamp in expected.items())
    assert decode_export_cursor(cursor()["after_cursor"]) == newest


def test_after_cursor_is_reused_next_run_and_start_time_never_resent(zendesk, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_EXPORT_PAGE_SIZE", "10")
    api, store = zendesk.apis["zendesk"], zendesk.store
    store.set_clock(store.clock - timedelta(days=6))
    first = load()
    committed = cursor()["after_cursor"]
    store.advance(timedelta(days=6))
    expected = expected_tickets(zendesk)
    mark = len(api.requests)
    second = load()
    sent = calls(api, EXPORT, mark)
    assert sent[0].query["cursor"] == [committed]
    assert not any("start_time" in c.query for c in sent)
    assert 0 < second.rows < first.rows  # only tickets that changed in six days
    assert loaded() == expected
    # Nothing changed since: one request, no rows, the cursor stays where it was.
    mark = len(api.requests)
    at_rest = cursor()
    third = load()
    assert third.rows == 0 and len(calls(api, EXPORT, mark)) == 1 and cursor() == at_rest


def test_tickets_updated_between_pages_end_at_their_latest_version(zendesk, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_EXPORT_PAGE_SIZE", "10")
    store, faults = zendesk.store, zendesk.apis["zendesk"].faults
    store.set_clock(store.clock - timedelta(days=6))
    # After the second page the source moves on three days; later pages also repeat the
    # previous page's last ticket (Zendesk's duplicates).
    faults.add(Fault("advance_clock", path=EXPORT, after=1, delta=timedelta(days=3)))
    faults.add(Fault("duplicate", path=EXPORT, after=2, times=4))
    load()
    assert loaded() == expected_tickets(zendesk)
    assert query("select count(*) = count(distinct id) from raw_zendesk.tickets") == [(True,)]


def test_metric_sets_are_landed_from_the_sideload(zendesk) -> None:
    api = zendesk.apis["zendesk"]
    mark = len(api.requests)
    load("ticket_metrics")
    assert calls(api, EXPORT, mark)[0].query["include"] == ["metric_sets"]
    metrics = dict(query("select ticket_id, record->>'reopens' from raw_zendesk.ticket_metrics"))
    assert set(metrics) == set(expected_tickets(zendesk))
    assert cursor("ticket_metrics")["after_cursor"]


def test_metric_sets_carried_on_each_ticket_are_landed_too(zendesk) -> None:
    def per_ticket(body: bytes) -> bytes:
        doc = json.loads(body)
        by_ticket = {m["ticket_id"]: m for m in doc.pop("metric_sets")}
        for ticket in doc["tickets"]:
            ticket["metric_set"] = by_ticket.get(ticket["id"])
        return json.dumps(doc).encode()

    zendesk.apis["zendesk"].faults.add(Fault("rewrite", path=EXPORT, transform=per_ticket))
    result = load("ticket_metrics")
    assert result.quarantined == 0
    assert {t for (t,) in query("select ticket_id from raw_zendesk.ticket_metrics")} == set(expected_tickets(zendesk))


# -- time-based export: oversized pages and duplicates at page boundaries ---------------------------


def test_time_based_event_export_duplicates_across_pages_are_removed(zendesk, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_EXPORT_PAGE_SIZE", "5")
    api = zendesk.apis["zendesk"]
    expected = expected_events(zendesk)
    mark = len(api.requests)
    load("ticket_events")
    # Replay the pages the connector read (the fake's clock has not moved): what was served?
    counts = [
        zget(zendesk, EVENTS, **{k: v[0] for k, v in c.query.items()}).json()["count"] for c in calls(api, EVENTS, mark)
    ]
    assert sum(counts) > len(expected)  # rows repeated across page boundaries
    assert loaded("ticket_events") == expected
    assert query("select count(*) = count(distinct id) from raw_zendesk.ticket_events") == [(True,)]
    assert cursor("ticket_events")["start_time"] == max(expected.values())


def test_time_based_pages_exceed_per_page_when_timestamps_collide(zendesk, monkeypatch) -> None:
    # The hourly close automation closes several tickets in the same second. Around such a
    # collision, two-row pages come back with three rows (all rows of the page's last second).
    monkeypatch.setenv("ZENDESK_EXPORT_PAGE_SIZE", "2")
    api = zendesk.apis["zendesk"]
    expected = expected_events(zendesk)
    stamps = sorted(expected.values())
    collision = next(t for t, u in itertools.pairwise(stamps) if t == u)
    start = datetime.fromtimestamp(collision - 86400, tz=UTC)
    end = datetime.fromtimestamp(collision + 3600, tz=UTC)
    mark = len(api.requests)
    load("ticket_events", mode="backfill", start=start, end=end)
    counts = [
        zget(zendesk, EVENTS, **{k: v[0] for k, v in c.query.items()}).json()["count"] for c in calls(api, EVENTS, mark)
    ]
    assert max(counts) > 2
    window = {k: v for k, v in expected.items() if start.timestamp() <= v < end.timestamp()}
    got = loaded("ticket_events")
    assert window.items() <= got.items()
    assert query("select count(*) = count(distinct id) from raw_zendesk.ticket_events") == [(True,)]


def test_fake_time_based_ticket_export_repeats_the_boundary_second(zendesk) -> None:
    first = zget(zendesk, "/api/v2/incremental/tickets", start_time=0, per_page=3).json()
    second = requests.get(
        first["next_page"], auth=(zendesk.env["ZENDESK_EMAIL"] + "/token", zendesk.env["ZENDESK_API_TOKEN"]), timeout=30
    ).json()
    assert first["end_time"] == first["tickets"][-1]["generated_timestamp"]
    assert "start_time=" + str(first["end_time"]) in first["next_page"]
    assert first["tickets"][-1]["id"] in {t["id"] for t in second["tickets"]}


# -- rate limits and faults ------------------------------------------------------------------------


def test_export_429_retry_after_is_waited_out(zendesk, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_EXPORT_PAGE_SIZE", "20")
    api = zendesk.apis["zendesk"]
    api.set_rate_limits(export=(2, 2.0))
    mark = len(api.requests)
    load()
    sent = calls(api, EXPORT, mark)
    limited = [i for i, r in enumerate(sent) if r.status == 429]
    assert limited
    for i in limited:
        assert sent[i + 1].at - sent[i].at >= 0.95  # Retry-After is at least one second
    assert loaded() == expected_tickets(zendesk)


def test_export_budget_keeps_the_connector_under_the_limit(zendesk, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_EXPORT_PAGE_SIZE", "20")
    api = zendesk.apis["zendesk"]
    expected = expected_tickets(zendesk)  # the fake builds its snapshot now: the log's times are answer times
    # Zendesk allows 10 per minute; the same shape, shrunk: 2 per 1.0 s at the fake, a
    # budget of 2 per 1.1 s in the connector (ZENDESK_MAX_EXPORT_REQUESTS_PER_MINUTE in life).
    api.set_rate_limits(export=(2, 1.0))
    connector = ZendeskConnector.from_env()
    connector.budget.export = RequestBudget(2, 1.1)
    mark = len(api.requests)
    load(connector=connector)
    load("groups", connector=connector)  # other endpoints are not held back by the export budget
    sent = calls(api, EXPORT, mark)
    assert len(sent) >= 5 and all(r.status == 200 for r in sent)
    assert all(sent[i + 2].at - sent[i].at >= 1.0 for i in range(len(sent) - 2))
    assert connector.budget.export.waited_seconds > 0
    assert loaded() == expected


def test_plain_text_429_is_retried(zendesk) -> None:
    api = zendesk.apis["zendesk"]
    api.plain_text_429(path="/satisfaction_ratings$", retry_after=1)
    mark = len(api.requests)
    load("satisfaction_ratings")
    sent = calls(api, "/api/v2/satisfaction_ratings", mark)
    assert sent[0].status == 429 and sent[1].status == 200 and sent[1].at - sent[0].at >= 0.95
    assert len(loaded("satisfaction_ratings")) == len(
        zget(zendesk, "/api/v2/satisfaction_ratings", **{"page[size]": 100}).json()["satisfaction_ratings"]
    )


def test_5xx_drops_and_truncated_bodies_are_retried(zendesk, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_EXPORT_PAGE_SIZE", "10")
    faults = zendesk.apis["zendesk"].faults
    faults.add(Fault("status", path=EXPORT, status=503, times=3, after=1))
    faults.add(Fault("drop", path=EXPORT, after=3))
    faults.add(Fault("truncate", path=EXPORT, after=4))
    faults.add(Fault("rewrite", path=EXPORT, after=5, transform=lambda body: body[: len(body) // 2] + b"}"))
    result = load()
    assert result.retries >= 5
    assert loaded() == expected_tickets(zendesk)


def test_persistent_failure_names_the_stream_and_keeps_the_cursor(zendesk, monkeypatch) -> None:
    monkeypatch.setenv("ITOPS_HTTP_MAX_RETRIES", "2")
    load()
    before = cursor()
    zendesk.apis["zendesk"].faults.add(Fault("status", path=EXPORT, status=500, times=100))
    with pytest.raises(RetriesExhaustedError) as raised:
        load()
    message = str(raised.value)
    assert "zendesk/tickets" in message and "window [" in message and "Next step" in message
    assert cursor() == before


def test_bad_credentials_fail_clearly_without_the_secret(zendesk, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_API_TOKEN", "definitely-wrong-token")
    with pytest.raises(AuthError) as raised:
        load("groups")
    assert "401" in str(raised.value) and "ZENDESK_API_TOKEN" in str(raised.value)
    assert "definitely-wrong-token" not in str(raised.value)


# -- deletes, quarantine, backfills, crashes ---------------------------------------------------------


def test_deleted_tickets_are_flagged_not_kept_live(zendesk) -> None:
    api, store = zendesk.apis["zendesk"], zendesk.store
    load()
    api.delete_ticket(5)
    store.advance(timedelta(minutes=5))  # the export never shows the most recent minute
    result = load()
    assert result.deleted == 1
    assert query("select record->>'status', _is_deleted from raw_zendesk.tickets where id = '5'") == [("deleted", True)]
    assert query("select count(*) from raw_zendesk.tickets where _is_deleted") == [(1,)]
    assert "5" not in expected_tickets(zendesk, exclude_deleted="true")


def test_a_full_read_flags_the_metric_set_of_a_deleted_ticket(zendesk) -> None:
    api, store = zendesk.apis["zendesk"], zendesk.store
    load("ticket_metrics")
    api.delete_ticket(7)
    store.advance(timedelta(minutes=5))
    start = datetime.combine(store.start_date, datetime.min.time(), tzinfo=UTC)
    result = load("ticket_metrics", mode="full", start=start)
    assert result.deleted == 1
    assert query("select ticket_id from raw_zendesk.ticket_metrics where _is_deleted") == [("7",)]


def test_bad_records_are_quarantined_and_the_load_goes_on(zendesk) -> None:
    def corrupt(body: bytes) -> bytes:
        doc = json.loads(body)
        doc["tickets"][0]["generated_timestamp"] = "soon"
        doc["tickets"][1]["id"] = None
        del doc["tickets"][2]["status"]
        return json.dumps(doc).encode()

    zendesk.apis["zendesk"].faults.add(Fault("rewrite", path=EXPORT, transform=corrupt))
    result = load()
    assert result.quarantined == 3
    reasons = sorted(r for (r,) in query("select reason from raw_meta.quarantine where stream = 'tickets'"))
    assert reasons == ["missing primary key", "missing required field status", "unparseable timestamp: soon"]
    assert len(loaded()) == len(expected_tickets(zendesk)) - 3


def test_backfill_window_loads_its_window_and_leaves_the_cursor(zendesk, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_EXPORT_PAGE_SIZE", "10")
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 8, tzinfo=UTC)
    in_window = {k: v for k, v in expected_tickets(zendesk).items() if start.timestamp() <= v < end.timestamp()}
    assert in_window
    load(mode="backfill", start=start, end=end)
    got = loaded()
    assert in_window.items() <= got.items()
    assert len(got) - len(in_window) < 10  # at most the rest of the page that crossed the window's end
    assert cursor() is None
    assert query("select count(*) from raw_meta.backfill_windows where source = 'zendesk'") == [(1,)]
    db = Path(os.environ["ITOPS_WAREHOUSE"])
    before = table_rows(db, "tickets")
    load(mode="backfill", start=start, end=end)
    assert table_rows(db, "tickets") == before


def test_a_load_killed_midway_loses_and_duplicates_nothing_on_rerun(zendesk, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("ZENDESK_EXPORT_PAGE_SIZE", "5")
    monkeypatch.setenv("ITOPS_FLUSH_ROWS", "10")
    clean_path, crash_path = tmp_path / "clean.duckdb", tmp_path / "crash.duckdb"
    load_to_the_end("zendesk", [], clean_path)
    kill_load_midway(zendesk.apis["zendesk"], EXPORT, "zendesk", [], crash_path, after_requests=9)
    con = duckdb.connect(str(crash_path), read_only=True)
    partial = con.execute("select count(*) from raw_zendesk.tickets").fetchone()[0]
    con.close()
    assert 0 < partial < len(expected_tickets(zendesk))
    load_to_the_end("zendesk", [], crash_path)
    for spec in STREAMS:
        clean = [(i, u, r, d) for i, u, r, d in table_rows(clean_path, spec.name)]
        assert clean, spec.name
        assert table_rows(crash_path, spec.name) == clean, spec.name


# -- satisfaction ratings ------------------------------------------------------------------------------


def test_satisfaction_ratings_land_every_score_and_only_good_and_bad_are_received(zendesk) -> None:
    load("satisfaction_ratings")
    scores = dict(query("select score, count(*) from raw_zendesk.satisfaction_ratings group by 1"))
    assert {"offered", "unoffered", "good", "bad"} <= set(scores)
    received = zget(zendesk, "/api/v2/satisfaction_ratings", score="received", **{"page[size]": 100}).json()
    assert {str(r["id"]) for r in received["satisfaction_ratings"]} == {
        i for (i,) in query("select id from raw_zendesk.satisfaction_ratings where score in ('good', 'bad')")
    }
    assert zget(zendesk, "/api/v2/satisfaction_ratings", **{"page[size]": 101}).status_code == 400


def test_fake_offset_pagination_stops_at_10000_records(zendesk) -> None:
    assert zget(zendesk, "/api/v2/users", page=2, per_page=100).status_code == 200
    refused = zget(zendesk, "/api/v2/users", page=101, per_page=100)
    assert refused.status_code == 400 and "cursor" in refused.json()["description"]
    too_recent = zget(zendesk, EXPORT, start_time=int(zendesk.store.clock.timestamp()) - 30)
    assert too_recent.status_code == 400


@pytest.mark.slow
def test_canonical_zendesk_models_agree_with_the_synthetic_org(zendesk, tiny_store, warehouse_path, tmp_path) -> None:
    """Connector -> dbt -> canonical models: every ticket's status, opening, resolution,
    first response and reopens equal the org's truth; CSAT holds exactly the responses."""
    with open_writer() as con:
        connector = ZendeskConnector.from_env()
        for spec in STREAMS:
            run_stream(con, connector, spec.name)
    select = (
        "+int_tickets__zendesk +int_people__zendesk +int_ticket_status_changes__zendesk +int_csat_responses__zendesk"
    )
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "build",
            "--project-dir",
            "dbt_project",
            "--profiles-dir",
            "dbt_project",
            "--target-path",
            str(tmp_path / "target"),
            "--select",
            *select.split(),
        ],
        cwd=ROOT,
        env={**os.environ, "ITOPS_WAREHOUSE": str(warehouse_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-5000:]
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        con.execute(f"attach '{tiny_store}' as org (read_only)")
        truth = """
            with zt as (select t.*, row_number() over (order by ticket_id) as zid
                        from org.tickets t where source = 'zendesk'),
            last as (select * from org.ticket_events
                     qualify row_number() over (partition by ticket_id order by seq desc) = 1)
            select cast(zt.zid as varchar) as source_id, zt.ticket_id, zt.opened_at, last.*
            from zt join last using (ticket_id)"""
        ((tickets, agree),) = con.execute(f"""
            select count(*), count(*) filter (where
                z.opened_at = t.opened_at
                and z.status_category = case t.status when 'in_progress' then 'open' when 'on_hold' then 'pending'
                                                      else t.status end
                and z.resolved_at is not distinct from
                    case when t.status in ('resolved', 'closed') then t.resolved_at end
                and z.reopen_count = t.reopen_count
                and abs(epoch(z.first_response_at - t.first_response_at)) <= 30)
            from intermediate.int_tickets__zendesk z join ({truth}) t using (source_id)""").fetchall()
        assert tickets == len(expected_tickets(zendesk)) and agree == tickets
        ((responses,),) = con.execute("""
            select count(*) from org.csat_responses r join org.tickets t using (ticket_id)
            where t.source = 'zendesk'""").fetchall()
        csat = con.execute(
            "select count(*), count(*) filter (where is_satisfied) from intermediate.int_csat_responses__zendesk"
        ).fetchall()[0]
        good = con.execute("""select count(*) from org.csat_responses r join org.tickets t using (ticket_id)
                              where t.source = 'zendesk' and r.score >= 4""").fetchall()[0][0]
        assert csat == (responses, good)
        # One status row per status the ticket went through, the initial one included.
        ((changes, expected_changes),) = con.execute("""
            select (select count(*) from intermediate.int_ticket_status_changes__zendesk),
                   (select count(*) from (
                        select status, lag(status) over (partition by ticket_id order by seq) as previous
                        from org.ticket_events e join org.tickets t using (ticket_id) where t.source = 'zendesk')
                    where previous is null or status <> previous)""").fetchall()
        assert changes == expected_changes
    finally:
        con.close()

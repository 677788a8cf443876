"""PagerDuty connector against the fake REST API v2: classic paging to the end, the
10,000 offset cap and the six-month window handled by slicing, updates to old incidents
caught through log entries, rate limits, faults, quarantine, deletes, crashes, and the
MTTA/MTTR inputs of one incident checked by hand."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import requests

from connectors.core.base import run_stream
from connectors.core.errors import AuthError, ConfigError, RetriesExhaustedError
from connectors.core.landing import get_cursor
from connectors.core.warehouse import connect, open_writer
from connectors.fakes.base import Fault
from connectors.fakes.pagerduty import ACCEPT, add_months
from connectors.pagerduty import PagerDutyConnector
from tests.crash import kill_load_midway, load_to_the_end

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ["teams", "users", "services", "escalation_policies", "priorities"]


def pd_get(suite, path: str, **params) -> requests.Response:
    return requests.get(
        suite.env["PAGERDUTY_BASE_URL"] + path, params=params, timeout=30,
        headers={"Authorization": f"Token token={suite.env['PAGERDUTY_API_TOKEN']}", "Accept": ACCEPT},
    )


def served(suite, collection: str) -> dict[str, str]:
    """id -> updated_at (incidents) / created_at (log entries) / name of everything the fake serves now."""
    stamp = {"incidents": "updated_at", "log_entries": "created_at"}.get(collection, "name")
    params = {"incidents": {"date_range": "all"},
              "log_entries": {"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z",
                              "is_overview": "true"}}.get(collection, {})
    out, offset = {}, 0
    while True:
        doc = pd_get(suite, f"/{collection}", limit=100, offset=offset, **params).json()
        out.update({r["id"]: r[stamp] for r in doc[collection]})
        if not doc["more"]:
            return out
        offset += doc["limit"]


def load(stream: str, **kwargs):
    connector = PagerDutyConnector.from_env()
    with open_writer() as con:
        return run_stream(con, connector, stream, **kwargs)


def loaded(stream: str, where: str = "true") -> dict[str, str]:
    stamp = {"incidents": "record->>'updated_at'", "log_entries": "record->>'created_at'"}.get(
        stream, "record->>'name'")
    con = connect(read_only=True)
    try:
        return dict(con.execute(
            f"select id, {stamp} from raw_pagerduty.{stream} where not _is_deleted and {where}").fetchall())
    finally:
        con.close()


def table_rows(path: Path, stream: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            f"select id, updated_at, record::varchar, _is_deleted from raw_pagerduty.{stream} order by id").fetchall()
    finally:
        con.close()


def calls(suite, path_regex: str = "^/incidents$", *, windowed: bool = True):
    """The fake's log of requests to ``path_regex``; only the connector's windowed ones by default."""
    import re

    return [r for r in suite.apis["pagerduty"].requests
            if re.search(path_regex, r.path) and (not windowed or "since" in r.query)]


def window_of(request) -> tuple[datetime, datetime]:
    parse = lambda key: datetime.fromisoformat(request.query[key][0].replace("Z", "+00:00"))  # noqa: E731
    return parse("since"), parse("until")


def test_every_stream_pages_to_the_end_following_more(pagerduty, monkeypatch) -> None:
    monkeypatch.setenv("PAGERDUTY_PAGE_SIZE", "5")
    expected = {name: served(pagerduty, name) for name in [*REFERENCE, "incidents", "log_entries"]}
    assert len(expected["incidents"]) > 30 and len(expected["log_entries"]) > 150
    pagerduty.apis["pagerduty"].requests.clear()
    results = {name: load(name) for name in expected}
    for name, rows in expected.items():
        assert loaded(name) == rows, name
    assert results["incidents"].pages >= math.ceil(len(expected["incidents"]) / 5)
    pages = calls(pagerduty)
    # In each creation window, offsets step by the echoed limit from 0 while "more";
    # total is asked for on first pages only.
    by_window: dict[tuple, list[int]] = {}
    for r in pages:
        by_window.setdefault(window_of(r), []).append(int(r.query["offset"][0]))
    assert all(offsets == list(range(0, 5 * len(offsets), 5)) for offsets in by_window.values())
    assert max(len(offsets) for offsets in by_window.values()) >= 4
    assert all(("total" in r.query) == (r.query["offset"] == ["0"]) for r in pages)
    # Every request carried the API key and the v2 Accept header.
    for r in pagerduty.apis["pagerduty"].requests:
        assert r.headers["authorization"] == f"Token token={pagerduty.env['PAGERDUTY_API_TOKEN']}"
        assert r.headers["accept"] == ACCEPT
    # acknowledgements / assignments are empty on resolved incidents, as PagerDuty sends them.
    con = connect(read_only=True)
    try:
        assert con.execute("""select count(*) from raw_pagerduty.incidents where status = 'resolved'
                              and (json_array_length(record->'acknowledgements') > 0
                                   or json_array_length(record->'assignments') > 0)""").fetchone()[0] == 0
    finally:
        con.close()


def test_rerun_changes_nothing_and_a_backfill_leaves_the_cursor(pagerduty) -> None:
    path = Path(os.environ["ITOPS_WAREHOUSE"])
    for stream in ("incidents", "log_entries"):
        load(stream)
    before = {s: table_rows(path, s) for s in ("incidents", "log_entries")}
    with open_writer() as con:
        cursors = {s: get_cursor(con, "pagerduty", s) for s in before}
    for stream in before:
        load(stream)
        load(stream, mode="backfill", start=datetime(2026, 9, 10, tzinfo=UTC), end=datetime(2026, 10, 10, tzinfo=UTC))
    assert {s: table_rows(path, s) for s in before} == before
    with open_writer() as con:
        assert {s: get_cursor(con, "pagerduty", s) for s in before} == cursors
        windows = con.execute("select stream, window_start, window_end from raw_meta.backfill_windows "
                              "order by stream").fetchall()
    assert [w[0] for w in windows] == ["incidents", "log_entries"]


def test_a_backfill_loads_incidents_created_in_its_window(pagerduty) -> None:
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 15, tzinfo=UTC)
    expected = {i for i, r in ((r["id"], r) for r in pd_get(
        pagerduty, "/incidents", limit=100, date_range="all").json()["incidents"])
        if "2026-10-01" <= r["created_at"] < "2026-10-15"}
    load("incidents", mode="backfill", start=start, end=end)
    assert set(loaded("incidents")) == expected and expected


def test_a_dense_window_is_split_below_the_offset_cap(pagerduty, monkeypatch) -> None:
    expected = {name: served(pagerduty, name) for name in ("incidents", "log_entries")}
    api = pagerduty.apis["pagerduty"]
    api.max_offset = 20  # the fake's 10,000, scaled down to the tiny org
    monkeypatch.setenv("PAGERDUTY_OFFSET_CAP", "20")
    monkeypatch.setenv("PAGERDUTY_PAGE_SIZE", "5")
    monkeypatch.setenv("PAGERDUTY_WINDOW_DAYS", "180")
    assert len(expected["incidents"]) > 20 and len(expected["log_entries"]) > 20
    api.requests.clear()
    for name in expected:
        load(name)
        assert loaded(name) == expected[name]
    windowed = calls(pagerduty, "^/(incidents|log_entries)$")
    assert all(r.status == 200 for r in windowed)
    assert all(int(r.query["offset"][0]) + int(r.query["limit"][0]) <= 20 for r in windowed)
    # The windows were narrowed well below the 180-day slice to fit.
    spans = [window_of(r)[1] - window_of(r)[0] for r in windowed]
    assert min(spans) < timedelta(days=10)


def test_the_apis_offset_cap_error_splits_the_window_too(pagerduty, monkeypatch) -> None:
    # The connector believes the cap is 10,000; the API says otherwise with its real 400 (code 2002).
    expected = served(pagerduty, "incidents")
    api = pagerduty.apis["pagerduty"]
    api.max_offset = 20
    monkeypatch.setenv("PAGERDUTY_PAGE_SIZE", "5")
    monkeypatch.setenv("PAGERDUTY_WINDOW_DAYS", "180")
    load("incidents")
    assert loaded("incidents") == expected
    rejected = [r for r in calls(pagerduty) if r.status == 400]
    assert rejected and all(r.query["offset"] == ["20"] for r in rejected)
    body = pd_get(pagerduty, "/incidents", offset=20, limit=5).json()
    assert body["error"]["code"] == 2002 and "Offset+limit exceeds maximum allowed value of 20" in \
        body["error"]["errors"][0]


def test_windows_never_exceed_six_months(pagerduty, monkeypatch) -> None:
    # Two and a half years back: a single request would be refused.
    monkeypatch.setenv("ITOPS_START_DATE", "2024-05-31")
    monkeypatch.setenv("PAGERDUTY_WINDOW_DAYS", "180")
    too_wide = pd_get(pagerduty, "/incidents", since="2024-05-31T00:00:00Z", until="2026-11-01T00:00:00Z")
    assert too_wide.status_code == 400 and too_wide.json()["error"]["code"] == 2001
    expected = served(pagerduty, "incidents")
    pagerduty.apis["pagerduty"].requests.clear()
    load("incidents")
    assert loaded("incidents") == expected
    windows = [window_of(r) for r in calls(pagerduty)]
    assert len(windows) >= 5
    assert all(until <= add_months(since, 6) for since, until in windows)
    assert all(r.status == 200 for r in calls(pagerduty))
    monkeypatch.setenv("PAGERDUTY_WINDOW_DAYS", "181")
    with pytest.raises(ConfigError, match="PAGERDUTY_WINDOW_DAYS"):
        PagerDutyConnector.from_env()


def _old_incident_changed_later(store) -> tuple[int, datetime]:
    """An incident resolved after a newer incident was created: with the clock between the two,
    the next read's creation window starts after it, so only its log entries reveal the change."""
    row = store.query("""
        with t as (
            select i.incident_number, i.created_at,
                   max(l.event_at) filter (where l.type = 'resolve') as resolved_at
            from incidents i join incident_log l using (incident_id)
            group by i.incident_number, i.created_at
        ),
        later as (
            select t.*, (select min(n.created_at) from t n where n.created_at > t.created_at + interval 1 hour)
                   as next_created
            from t
        )
        select incident_number, resolved_at - interval 1 minute from later
        where next_created < resolved_at - interval 1 minute
        order by resolved_at - next_created desc limit 1""")
    assert row, "the tiny org should hold an incident resolved after a later one was created"
    return row[0]


def test_updates_to_old_incidents_are_caught_through_log_entries(pagerduty) -> None:
    store = pagerduty.store
    number, before_resolution = _old_incident_changed_later(store)
    end_clock = store.clock
    store.set_clock(before_resolution)
    load("incidents")
    con = connect(read_only=True)
    try:
        incident_id, status = con.execute(
            "select id, status from raw_pagerduty.incidents where incident_number = ?", [number]).fetchone()
        created_until = datetime.fromisoformat(get_cursor(con, "pagerduty", "incidents")["created_until"])
    finally:
        con.close()
    assert status in ("triggered", "acknowledged")
    # The source moves on: the old incident is resolved, new ones arrive.
    store.set_clock(end_clock)
    pagerduty.apis["pagerduty"].requests.clear()
    load("incidents")
    assert loaded("incidents") == served(pagerduty, "incidents")
    con = connect(read_only=True)
    try:
        status, acks, assignments, created_at = con.execute(
            """select status, json_array_length(record->'acknowledgements'), json_array_length(record->'assignments'),
                      created_at from raw_pagerduty.incidents where id = ?""", [incident_id]).fetchone()
    finally:
        con.close()
    assert (status, acks, assignments) == ("resolved", 0, 0)
    # It was not in any creation window of the second read (a naive pull would have missed it):
    # it came from a re-read found through its resolve log entry.
    assert all(window_of(r)[0] > created_at for r in calls(pagerduty))
    assert created_at < created_until - timedelta(minutes=10)
    assert [r.path for r in calls(pagerduty, "^/incidents/Q", windowed=False)] == [f"/incidents/{incident_id}"]


def test_incidents_changing_between_pages_are_not_lost(pagerduty, monkeypatch) -> None:
    monkeypatch.setenv("PAGERDUTY_PAGE_SIZE", "5")
    store = pagerduty.store
    store.set_clock(store.clock - timedelta(days=12))
    # After the second page the source moves on by a week: new incidents, old ones acknowledged and resolved.
    pagerduty.apis["pagerduty"].faults.add(
        Fault("advance_clock", path="^/incidents$", after=1, delta=timedelta(days=7)))
    load("incidents")
    got, now = loaded("incidents"), served(pagerduty, "incidents")
    # Whatever we hold is a real version, never a newer one than the source has.
    assert set(got) <= set(now) and all(got[k] <= now[k] for k in got)
    load("incidents")  # the next read completes the picture, old incidents included
    assert loaded("incidents") == now


def test_the_fake_speaks_pagerdutys_wire_format(pagerduty) -> None:
    page = pd_get(pagerduty, "/incidents", limit=500, date_range="all").json()
    assert page["limit"] == 100 and page["total"] is None and page["more"] is False
    assert pd_get(pagerduty, "/incidents", limit=1, date_range="all", total="true").json()["total"] == len(
        page["incidents"])
    # Without since/until: the last month only.
    recent = pd_get(pagerduty, "/incidents", limit=100).json()["incidents"]
    month_ago = add_months(pagerduty.store.clock, -1).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert recent and all(i["created_at"] >= month_ago for i in recent) and len(recent) < len(page["incidents"])
    resolved = pd_get(pagerduty, "/incidents", limit=100, date_range="all", **{"statuses[]": "resolved"}).json()
    assert {i["status"] for i in resolved["incidents"]} == {"resolved"}
    # include[] expands references into full objects; time_zone renders offsets.
    one = pd_get(pagerduty, f"/incidents/{page['incidents'][0]['id']}",
                 **{"include[]": ["services", "priorities"], "time_zone": "Asia/Tokyo"}).json()["incident"]
    assert one["service"]["type"] == "service" and "escalation_policy" in one["service"]
    assert one["priority"]["type"] == "priority" and one["created_at"].endswith("+09:00")
    entries = pd_get(pagerduty, f"/incidents/{one['id']}/log_entries").json()["log_entries"]
    kinds = [e["type"] for e in entries]
    assert kinds[-1] == "trigger_log_entry" and kinds[0] == "resolve_log_entry"  # newest first
    assert "notify_log_entry" in kinds
    overview = pd_get(pagerduty, f"/incidents/{one['id']}/log_entries", is_overview="true").json()["log_entries"]
    assert "notify_log_entry" not in {e["type"] for e in overview}
    limited = pd_get(pagerduty, "/priorities")
    assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} <= {k.lower() for k in limited.headers}
    assert [p["name"] for p in limited.json()["priorities"]] == ["P1", "P2", "P3", "P4", "P5"]


def test_rate_limit_reset_is_honoured(pagerduty, monkeypatch) -> None:
    monkeypatch.setenv("PAGERDUTY_PAGE_SIZE", "10")
    api = pagerduty.apis["pagerduty"]
    api.faults.retry_after(2, path="^/incidents$", after=1, header="ratelimit-reset")
    load("incidents")
    pages = calls(pagerduty)
    limited = next(i for i, r in enumerate(pages) if r.status == 429)
    assert pages[limited + 1].at - pages[limited].at >= 1.95
    assert loaded("incidents") == served(pagerduty, "incidents")


def test_the_per_key_rate_limit_is_waited_out(pagerduty, monkeypatch) -> None:
    monkeypatch.setenv("PAGERDUTY_PAGE_SIZE", "5")
    api = pagerduty.apis["pagerduty"]
    api.rate_limit, api.rate_window = 4, 1.0
    load("incidents")
    log = api.requests
    throttled = [i for i, r in enumerate(log) if r.status == 429]
    assert throttled
    # ratelimit-reset says 1 s: the client never came back sooner.
    assert all(log[i + 1].at - log[i].at >= 0.95 for i in throttled if i + 1 < len(log))
    api.rate_limit = 960
    assert loaded("incidents") == served(pagerduty, "incidents")


def test_5xx_drops_and_truncated_bodies_are_retried(pagerduty, monkeypatch) -> None:
    monkeypatch.setenv("PAGERDUTY_PAGE_SIZE", "5")
    faults = pagerduty.apis["pagerduty"].faults
    faults.add(Fault("status", path="^/incidents$", status=503, times=3, after=1))
    faults.add(Fault("drop", path="^/incidents$", after=3))
    faults.add(Fault("truncate", path="^/incidents$", after=5))
    faults.add(Fault("rewrite", path="^/log_entries$", after=2, transform=lambda body: body[: len(body) // 2] + b"}"))
    results = [load("incidents"), load("log_entries")]
    assert sum(r.retries for r in results) >= 6
    assert loaded("incidents") == served(pagerduty, "incidents")
    assert loaded("log_entries") == served(pagerduty, "log_entries")


def test_persistent_failure_names_the_stream_and_window_and_keeps_the_cursor(pagerduty, monkeypatch) -> None:
    monkeypatch.setenv("ITOPS_HTTP_MAX_RETRIES", "2")
    pagerduty.apis["pagerduty"].faults.add(Fault("status", path="^/incidents$", status=502, times=100))
    with pytest.raises(RetriesExhaustedError) as raised:
        load("incidents")
    message = str(raised.value)
    assert "pagerduty/incidents" in message and "window [" in message and "Next step" in message
    con = connect(read_only=True)
    try:
        assert con.execute("select count(*) from raw_meta.stream_state").fetchone()[0] == 0
    finally:
        con.close()


def test_bad_credentials_fail_clearly_without_the_secret(pagerduty, monkeypatch) -> None:
    monkeypatch.setenv("PAGERDUTY_API_TOKEN", "definitely-wrong-pd-token")
    with pytest.raises(AuthError) as raised:
        load("users")
    assert "401" in str(raised.value) and "PAGERDUTY_API_TOKEN" in str(raised.value)
    assert "definitely-wrong-pd-token" not in str(raised.value)
    # And the fake insists on PagerDuty's own header forms.
    bare = requests.get(pagerduty.env["PAGERDUTY_BASE_URL"] + "/users", timeout=10,
                        headers={"Authorization": f"Token token={pagerduty.env['PAGERDUTY_API_TOKEN']}"})
    assert bare.status_code == 400


def test_bad_records_are_quarantined_and_the_load_goes_on(pagerduty) -> None:
    import json

    def corrupt(body: bytes) -> bytes:
        doc = json.loads(body)
        doc["incidents"][0]["updated_at"] = "yesterday-ish"
        doc["incidents"][1]["id"] = ""
        del doc["incidents"][2]["created_at"]
        return json.dumps(doc).encode()

    pagerduty.apis["pagerduty"].faults.add(Fault("rewrite", path="^/incidents$", transform=corrupt))
    result = load("incidents")
    assert result.quarantined == 3
    con = connect(read_only=True)
    try:
        reasons = sorted(r for (r,) in con.execute("select reason from raw_meta.quarantine").fetchall())
    finally:
        con.close()
    assert reasons == ["missing primary key", "missing required field created_at",
                       "unparseable timestamp: yesterday-ish"]
    assert len(loaded("incidents")) == len(served(pagerduty, "incidents")) - 3


def test_a_full_read_flags_deleted_users(pagerduty) -> None:
    store = pagerduty.store
    (leaver_email, left) = store.query(
        "select email, leave_date from people where leave_date is not null order by leave_date limit 1")[0]
    end_clock = store.clock
    store.set_clock(datetime.combine(left - timedelta(days=1), datetime.min.time(), tzinfo=UTC))
    load("users")
    store.set_clock(end_clock)
    assert load("users").deleted == 0  # an incremental read never judges deletes
    result = load("users", mode="full")
    assert result.deleted == 1
    con = connect(read_only=True)
    try:
        gone = con.execute("select record->>'email' from raw_pagerduty.users where _is_deleted").fetchall()
    finally:
        con.close()
    assert gone == [(leaver_email,)]


def test_a_load_killed_midway_loses_and_duplicates_nothing_on_rerun(pagerduty, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PAGERDUTY_PAGE_SIZE", "5")
    monkeypatch.setenv("PAGERDUTY_WINDOW_DAYS", "7")
    monkeypatch.setenv("ITOPS_FLUSH_ROWS", "10")
    clean_path, crash_path = tmp_path / "clean.duckdb", tmp_path / "crash.duckdb"
    streams = ["incidents", "log_entries"]
    load_to_the_end("pagerduty", streams, clean_path)
    kill_load_midway(pagerduty.apis["pagerduty"], "^/(incidents|log_entries)$", "pagerduty", streams, crash_path,
                     after_requests=8)
    con = duckdb.connect(str(crash_path), read_only=True)
    partial = con.execute("select count(*) from raw_pagerduty.incidents").fetchone()[0]
    con.close()
    assert 0 < partial < len(served(pagerduty, "incidents"))
    load_to_the_end("pagerduty", streams, crash_path)
    for stream in streams:
        clean = [(i, u, r) for i, u, r, _ in table_rows(clean_path, stream)]
        assert [(i, u, r) for i, u, r, _ in table_rows(crash_path, stream)] == clean, stream
        assert len(clean) == len(served(pagerduty, stream))


@pytest.mark.slow
def test_mtta_and_mttr_inputs_of_a_hand_checked_incident(pagerduty, warehouse_path, tmp_path) -> None:
    """Incident #11 of the tiny org (seed 7, history to 2026-11-01), from its log:

        2026-09-21 01:18:21  triggered: P4, low urgency, service Data Centre (team Infrastructure),
                             assigned to the on-call engineer
        2026-09-21 01:48:55  escalated to the next responder (nobody acknowledged in 30 min)
        2026-09-21 02:55:55  acknowledged by that responder
        2026-09-23 15:06:12  resolved

    time to acknowledge = 1 h 37 min 34 s = 97.567 min (from the acknowledge entry, not the
    escalation); time to resolve = 2 d 13 h 47 min 51 s = 3,707.85 min; not major (P4).
    """
    for stream in [*REFERENCE, "incidents", "log_entries"]:
        load(stream)
    from connectors.registry import ensure_all_raw_tables

    with open_writer() as con:
        ensure_all_raw_tables(con)
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--project-dir", "dbt_project", "--profiles-dir",
         "dbt_project", "--target-path", str(tmp_path / "dbt-target"), "--select", "+fct_incidents",
         # only tests whose every parent is built: other sources' tests may touch unbuilt models
         "--indirect-selection", "cautious", "--exclude", "test_type:unit"],
        cwd=ROOT, env={**os.environ, "ITOPS_WAREHOUSE": str(warehouse_path)},
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-5000:]
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        row = con.execute(
            """select f.created_at, f.acknowledged_at, f.resolved_at, f.time_to_ack_minutes,
                      f.time_to_resolve_minutes, f.priority, f.urgency, f.is_major, f.team_id, f.service_id
               from marts.fct_incidents f join intermediate.int_incidents__pagerduty p using (incident_key)
               where p.number = '11'""").fetchone()
        counts = con.execute("select count(*), count(acknowledged_at), count(resolved_at) "
                             "from marts.fct_incidents where source = 'pagerduty'").fetchone()
    finally:
        con.close()
    utc = UTC
    assert row[:3] == (datetime(2026, 9, 21, 1, 18, 21, tzinfo=utc), datetime(2026, 9, 21, 2, 55, 55, tzinfo=utc),
                       datetime(2026, 9, 23, 15, 6, 12, tzinfo=utc))
    assert row[3] == pytest.approx(97 + 34 / 60)
    assert row[4] == pytest.approx(2 * 1440 + 13 * 60 + 47 + 51 / 60)
    assert row[5:8] == (4, "low", False)
    assert row[8:] == ("infrastructure", "data-centre")
    # Every incident of the org is in the fact; all resolved, all but the never-acknowledged ones acked.
    assert counts == (39, 36, 39)

"""Runn connector against the fake Runn v1 API: cursor pages to the end, per-endpoint limits,
required parameters and headers, deletions from the activity log, late edits, backfills,
rate limits, and a load killed midway."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import requests

from connectors.core.base import run_stream
from connectors.core.errors import AuthError
from connectors.core.warehouse import connect, open_writer
from connectors.fakes.base import Fault
from connectors.fakes.runn import ENDPOINTS
from connectors.runn import RunnConnector
from tests.crash import kill_load_midway, load_to_the_end

STREAMS = [spec.name for spec in RunnConnector.STREAMS]
DELETABLE = {name: e.delete_event for name, e in RunnConnector.ENDPOINTS.items() if e.delete_event}


def runn_get(suite, path: str, *, headers: dict | None = None, **params) -> requests.Response:
    env = suite.env
    base = {"Authorization": f"Bearer {env['RUNN_API_TOKEN']}", "Accept-Version": "1.0.0"}
    return requests.get(f"{env['RUNN_BASE_URL']}{path}", params=params, timeout=30,
                        headers=base if headers is None else headers)


def all_records(suite, stream: str, **params) -> dict[str, dict]:
    """id -> record of everything the fake serves for a stream, paged like a careful client."""
    endpoint = RunnConnector.ENDPOINTS[stream]
    query = {"limit": endpoint.max_limit, **endpoint.params, **params}
    out, cursor = {}, None
    while True:
        page = runn_get(suite, endpoint.path, **query, **({"cursor": cursor} if cursor else {}))
        page.raise_for_status()
        doc = page.json()
        for record in doc["values"]:
            key = record.get("id", record.get("eventId"))
            out[str(key if key is not None else f"{record['projectId']}:{record['roleId']}")] = record
        cursor = doc["nextCursor"]
        if not cursor:
            return out


def load(stream: str, **kwargs):
    connector = RunnConnector.from_env()
    with open_writer() as con:
        return run_stream(con, connector, stream, **kwargs)


def loaded(stream: str, live_only: bool = True) -> dict[str, str | None]:
    con = connect(read_only=True)
    try:
        where = "not _is_deleted" if live_only else "true"
        return dict(con.execute(f"select id, record->>'updatedAt' from raw_runn.{stream} where {where}").fetchall())
    finally:
        con.close()


def calls(suite, path: str) -> list:
    """The connector's requests to ``path`` (the tests' own calls use requests' User-Agent)."""
    return [r for r in suite.apis["runn"].requests
            if r.path == path and r.headers.get("user-agent", "").startswith("itops-kpi")]


@pytest.fixture
def runn(fakes):
    fakes.apis["runn"].rate_limit = None  # the tests below count requests; the limit has its own test
    return fakes


def test_every_stream_follows_next_cursor_to_the_end(runn, monkeypatch) -> None:
    monkeypatch.setenv("RUNN_PAGE_SIZE", "5")
    for stream in STREAMS:
        expected = all_records(runn, stream, occurredAfter=runn.env["ITOPS_START_DATE"]) \
            if stream == "activity_log" else all_records(runn, stream)
        result = load(stream)
        assert set(loaded(stream)) == set(expected), stream
        assert result.pages == max(math.ceil(len(expected) / 5), 1), stream
        path = RunnConnector.ENDPOINTS[stream].path
        # (the activity-log stream asks for every event type; deletion reads ask for one)
        own = (lambda r: len(r.query.get("eventType", [])) > 1) if stream == "activity_log" \
            else (lambda r: "eventType" not in r.query)
        pages = [r for r in calls(runn, path) if r.query.get("limit") == ["5"] and own(r)]
        assert len(pages) == result.pages, stream
        # Page 2 onwards carry the previous page's nextCursor; every call carries the version header.
        assert "cursor" not in pages[0].query and all("cursor" in r.query for r in pages[1:]), stream
        assert all(r.headers.get("accept-version") == "1.0.0" for r in calls(runn, path)), stream
    assert max(len(loaded(s)) for s in STREAMS) > 5 * 10, "some stream should span many pages"


def test_a_limit_above_an_endpoints_maximum_is_a_400_and_the_connector_never_sends_one(runn, monkeypatch) -> None:
    for endpoint in ENDPOINTS.values():
        params = {"sortBy": "id", "includeArchived": "true"}
        assert runn_get(runn, f"/{endpoint.path}/", limit=endpoint.max_limit, **params).status_code == 200
        too_big = runn_get(runn, f"/{endpoint.path}/", limit=endpoint.max_limit + 1, **params)
        assert too_big.status_code == 400, endpoint.path
        assert too_big.json() == {"error": "Bad Request", "statusCode": 400,
                                  "message": f"querystring/limit must be <= {endpoint.max_limit}"}
    assert {ENDPOINTS["actuals"].max_limit, ENDPOINTS["assignments"].max_limit, ENDPOINTS["people"].max_limit} \
        == {500, 200}
    monkeypatch.setenv("RUNN_PAGE_SIZE", "1000")
    for stream in STREAMS:
        load(stream)
    for endpoint in RunnConnector.ENDPOINTS.values():
        sent = {int(r.query["limit"][0]) for r in calls(runn, endpoint.path)}
        assert sent == {endpoint.max_limit}, endpoint.path
    assert {r.status for r in runn.apis["runn"].requests if r.headers["user-agent"].startswith("itops-kpi")} == {200}


def test_required_parameters_and_headers(runn) -> None:
    assert runn_get(runn, "/clients/").json()["message"] == "querystring must have required property 'sortBy'"
    assert runn_get(runn, "/projects/").status_code == 400
    assert runn_get(runn, "/time-offs/leave/").status_code == 400
    missing_version = runn_get(runn, "/people/", headers={"Authorization": f"Bearer {runn.env['RUNN_API_TOKEN']}"})
    assert missing_version.status_code == 400 and "Accept-Version" in missing_version.json()["message"]
    for stream in ("clients", "projects", "contracts", "time_offs_leave"):
        load(stream)
    assert all(r.query.get("sortBy") for r in calls(runn, "/clients/") + calls(runn, "/contracts/"))
    assert all(r.query.get("includeArchived") == ["true"] for r in calls(runn, "/projects/"))


def test_bad_token_fails_clearly_without_the_secret(runn, monkeypatch) -> None:
    monkeypatch.setenv("RUNN_API_TOKEN", "LIVE_definitely-wrong-token")
    with pytest.raises(AuthError) as raised:
        load("people")
    message = str(raised.value)
    assert "401" in message and "RUNN_API_TOKEN" in message and "api.us.runn.io" in message
    assert "definitely-wrong-token" not in message


def test_incremental_reads_use_modified_after_and_a_rerun_changes_nothing(runn) -> None:
    load("actuals")
    before = loaded("actuals")
    again = load("actuals")
    assert again.rows < 20  # the overlap window only
    assert loaded("actuals") == before
    second = [r for r in calls(runn, "/actuals/")][-1]
    assert second.query["sortBy"] == ["updatedAt"] and second.query["order"] == ["asc"]
    assert "modifiedAfter" in second.query and "minDate" not in second.query


def test_late_edits_are_upserted_not_duplicated(runn) -> None:
    store = runn.store
    store.set_clock(store.clock - timedelta(days=10))
    load("actuals")
    first = loaded("actuals")
    store.set_clock(store.clock + timedelta(days=10))
    load("actuals")
    now = {k: r["updatedAt"] for k, r in all_records(runn, "actuals").items()}
    assert loaded("actuals") == now
    changed = {k for k in first if k in now and now[k] != first[k]}
    assert changed, "some actuals should have been edited after they were logged"


def test_deletions_from_the_activity_log_are_applied(runn) -> None:
    store = runn.store
    end = store.clock
    events = all_records(runn, "activity_log", occurredAfter="2000-01-01")
    first_event = min(datetime.fromisoformat(e["timestamp"]) for e in events.values())
    store.set_clock(first_event - timedelta(seconds=1))
    for stream in DELETABLE:
        load(stream)
    before = {stream: loaded(stream) for stream in DELETABLE}
    store.set_clock(end)
    flagged_total = 0
    for stream, event_type in DELETABLE.items():
        result = load(stream)
        key = {"actual_deleted": "actual", "assignment_deleted": "assignment",
               "time_off_deleted": "timeOff"}.get(event_type, event_type.removesuffix("_deleted"))
        gone = {str(e[key]["id"]) for e in events.values() if e["type"] == event_type} & set(before[stream])
        assert result.deleted == len(gone), stream
        assert gone.isdisjoint(loaded(stream)) and gone <= set(loaded(stream, live_only=False))
        assert set(loaded(stream)) == set(all_records(runn, stream)), stream
        flagged_total += len(gone)
    assert flagged_total > 0, "the synthetic org deletes actuals, leave and assignments"
    con = connect(read_only=True)
    try:
        cursor = json.loads(con.execute("select cursor from raw_meta.stream_state where stream = 'time_offs_leave'")
                            .fetchone()[0])
    finally:
        con.close()
    assert cursor["deletes_after"] is not None


def test_backfill_windows_actuals_on_their_date_and_leaves_the_cursor(runn) -> None:
    start = datetime.combine(runn.store.start_date, datetime.min.time(), tzinfo=UTC) + timedelta(days=7)
    end = start + timedelta(days=7)
    load("actuals", mode="backfill", start=start, end=end)
    expected = {k for k, r in all_records(runn, "actuals").items() if start.date().isoformat() <= r["date"]
                < end.date().isoformat()}
    assert set(loaded("actuals")) == expected and expected
    request = calls(runn, "/actuals/")[0]
    assert request.query["minDate"] == [start.date().isoformat()]
    assert request.query["maxDate"] == [(end - timedelta(days=1)).date().isoformat()]
    con = connect(read_only=True)
    try:
        assert con.execute("select count(*) from raw_meta.stream_state where source = 'runn'").fetchone()[0] == 0
    finally:
        con.close()


def test_rate_limit_waits_are_honoured(runn, monkeypatch) -> None:
    monkeypatch.setenv("RUNN_PAGE_SIZE", "5")
    api = runn.apis["runn"]
    api.rate_limit = (3, 1.0)
    load("people")
    requests_seen = api.requests
    limited = [i for i, r in enumerate(requests_seen) if r.status == 429]
    assert limited, "the fake should have rate limited us"
    for i in limited:
        assert requests_seen[i + 1].at - requests_seen[i].at >= 0.9
    api.rate_limit = None
    assert set(loaded("people")) == set(all_records(runn, "people"))


def test_a_429_with_only_x_ratelimit_reset_is_waited_out(runn) -> None:
    api = runn.apis["runn"]
    api.faults.add(Fault("status", path="^/teams/$", status=429, headers={"x-ratelimit-reset": "1"}))
    load("teams")
    first, second = calls(runn, "/teams/")[:2]
    assert first.status == 429 and second.status == 200
    assert second.at - first.at >= 0.9


def raw_rows(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select id, updated_at, record::varchar, _is_deleted from raw_runn.actuals order by id"
                           ).fetchall()
    finally:
        con.close()


def test_a_load_killed_midway_loses_and_duplicates_nothing_on_rerun(runn, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("RUNN_PAGE_SIZE", "10")
    monkeypatch.setenv("ITOPS_FLUSH_ROWS", "30")
    clean_path, crash_path = tmp_path / "clean.duckdb", tmp_path / "crash.duckdb"
    load_to_the_end("runn", ["actuals"], clean_path)
    kill_load_midway(runn.apis["runn"], "^/actuals/$", "runn", ["actuals"], crash_path, after_requests=12)
    con = duckdb.connect(str(crash_path), read_only=True)
    try:
        partial = con.execute("select count(*) from raw_runn.actuals").fetchone()[0]
        # Pages sorted by updatedAt: the committed rows came with a cursor to resume from.
        cursor = con.execute("select cursor from raw_meta.stream_state where stream = 'actuals'").fetchone()
    finally:
        con.close()
    assert 0 < partial < len(raw_rows(clean_path))
    assert cursor is not None and json.loads(cursor[0])["updated_at"]
    load_to_the_end("runn", ["actuals"], crash_path)
    assert raw_rows(crash_path) == raw_rows(clean_path)


@pytest.fixture(scope="module")
def small_runn():
    """The fake Runn over the small org (40 projects: tentative ones, placeholders, every pricing model)."""
    from connectors.fakes.base import OrgStore
    from connectors.fakes.runn import FakeRunn
    from connectors.synthetic import OrgSpec, ensure_store
    from tests.conftest import END_DATE

    # Cached between runs like the demo's stores (4 s to generate on an idle machine).
    path = ensure_store(OrgSpec(seed=42, profile="small", end_date=END_DATE))
    store = OrgStore(path)
    api = FakeRunn(store, token="LIVE_test", rate_limit=None).start()

    class Suite:  # the shape all_records() expects
        env = {"RUNN_BASE_URL": api.url, "RUNN_API_TOKEN": "LIVE_test"}

    try:
        yield Suite, store
    finally:
        api.stop()
        store.close()


def test_the_fake_serves_the_organisations_plans(small_runn) -> None:
    suite, store = small_runn
    projects = all_records(suite, "projects")
    assert {p["pricingModel"] for p in projects.values()} == {"tm", "fp", "nb"}
    assert any(not p["isConfirmed"] for p in projects.values()), "tentative projects"
    placeholders = all_records(suite, "placeholders")
    scheduled = all_records(suite, "assignments")
    on_placeholders = [a for a in scheduled.values() if a["isPlaceholder"]]
    assert on_placeholders and {str(a["personId"]) for a in on_placeholders} <= set(placeholders)
    contracts = all_records(suite, "contracts").values()
    assert any(c["minutesPerDay"] == 360 for c in contracts), "part-timers on shorter days"
    assert any(c["rosteredDays"]["friday"] == 0 for c in contracts), "four-day weeks"
    people = all_records(suite, "people")
    assert len(people) == store.query("select count(*) from people")[0][0]
    groups = {str(g["id"]): set(g["holidayIds"]) for g in all_records(suite, "holiday_groups").values()}
    for holiday in all_records(suite, "time_offs_holidays").values():
        person = people[str(holiday["personId"])]
        assert holiday["holidayId"] in groups[str(person["holidaysGroupId"])]
    runn_teams = {2000 + t for (t,) in store.query("select team_id from teams where time_tracking = 'runn'")}
    actual_people = {str(a["personId"]) for a in all_records(suite, "actuals").values()}
    assert actual_people and all(people[p]["teamId"] in runn_teams for p in actual_people)
    events = all_records(suite, "activity_log", occurredAfter="2000-01-01").values()
    assert {e["type"] for e in events} == {"actual_deleted", "assignment_deleted", "time_off_deleted"}


def test_bad_records_are_quarantined_and_the_load_goes_on(runn) -> None:
    def corrupt(body: bytes) -> bytes:
        doc = json.loads(body)
        doc["values"][0]["updatedAt"] = "soon"
        doc["values"][1]["id"] = None
        return json.dumps(doc).encode()

    runn.apis["runn"].faults.add(Fault("rewrite", path="^/actuals/$", transform=corrupt, times=1))
    result = load("actuals")
    assert result.quarantined == 2
    con = connect(read_only=True)
    try:
        reasons = sorted(r for (r,) in con.execute(
            "select reason from raw_meta.quarantine where stream = 'actuals'").fetchall())
    finally:
        con.close()
    assert reasons[0] == "missing primary key"
    assert reasons[1].startswith("unparseable timestamp: soon")
    assert len(loaded("actuals")) == len(all_records(runn, "actuals")) - 2

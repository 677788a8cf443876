"""Jira Cloud / JSM connector against the fake API: keyset JQL in epoch millis to the true end,
shrunken pages, offsets like -0700 landing as UTC, complete changelogs, SLA fields found by
name, CSAT, rate limits, faults, quarantine, deletes by id reconciliation, crashes and reruns."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import requests

from connectors.core.base import run_stream
from connectors.core.errors import AuthError, RetriesExhaustedError
from connectors.core.http import parse_reset_header
from connectors.core.warehouse import connect, open_writer
from connectors.fakes.base import Fault
from connectors.fakes.jira import FakeJira
from connectors.fakes.jira_sql import FieldIds
from connectors.jira import JiraConnector
from tests.crash import kill_load_midway, load_to_the_end

SEARCH = "/rest/api/3/search/jql"


def jira_ms(text: str) -> int:
    """Jira's ``2026-09-05T02:59:42.040-0700`` as epoch milliseconds."""
    return round(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


def api_get(suite, path: str, **params) -> requests.Response:
    env = suite.env
    return requests.get(env["JIRA_BASE_URL"] + path, params=params,
                        auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]), timeout=30)


def expected_issues(suite) -> dict[str, int]:
    """issue id -> updated (epoch ms) of every issue the fake serves now, paged with its tokens."""
    out: dict[str, int] = {}
    token = None
    while True:
        params = {"jql": "updated >= 0 ORDER BY id ASC", "fields": "updated", "maxResults": "100"}
        if token:
            params["nextPageToken"] = token
        page = api_get(suite, SEARCH, **params).json()
        out.update({i["id"]: jira_ms(i["fields"]["updated"]) for i in page["issues"]})
        token = page.get("nextPageToken")
        if page["isLast"]:
            return out


def load(stream: str = "issues", **kwargs):
    connector = JiraConnector.from_env()
    with open_writer() as con:
        return run_stream(con, connector, stream, **kwargs)


def query(sql: str, params: list | None = None) -> list[tuple]:
    con = connect(read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def loaded(where: str = "not _is_deleted") -> dict[str, int]:
    return dict(query(f"select id, epoch_ms(updated_at) from raw_jira.issues where {where}"))


def table_rows(path: Path, table: str = "raw_jira.issues") -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select id, updated_at, record::varchar, _is_deleted from {table} order by id").fetchall()
    finally:
        con.close()


def search_calls(suite) -> list:
    return [r for r in suite.apis["jira"].requests if r.path == SEARCH]


def test_pages_to_the_true_end_with_keyset_jql_in_epoch_millis(fakes, monkeypatch) -> None:
    monkeypatch.setenv("JIRA_PAGE_SIZE", "7")
    expected = expected_issues(fakes)
    assert len(expected) > 150
    result = load()
    assert loaded() == expected
    calls = [r for r in search_calls(fakes) if r.query.get("expand")]  # the connector's, not expected_issues'
    jqls = [r.query["jql"][0] for r in calls]
    assert result.pages == len(jqls) >= len(expected) // 7
    # Windows and keysets are epoch milliseconds, never user-time-zone date literals.
    assert all(re.search(r"updated >= \d{13} AND updated < \d{13}", q) for q in jqls)
    assert not any(re.search(r"['\"]\d{4}[/-]\d\d", q) for q in jqls)
    assert all(q.endswith("ORDER BY updated ASC, id ASC") for q in jqls)
    # The first page is the window; every later one continues after the last (updated, id) read.
    assert "OR (updated =" not in jqls[0]
    assert all(re.search(r"\(updated > \d{13} OR \(updated = \d{13} AND id > \d+\)\)", q) for q in jqls[1:])
    assert not any("nextPageToken" in r.query for r in calls)
    # Only JSM projects are read, and every issue with its explicit fields and changelog.
    assert all('project in ("ITSD", "OPS")' in q for q in jqls)
    fields = calls[-1].query["fields"][0].split(",")
    assert {"updated", "status", "customfield_10030", "customfield_10031", "customfield_10001"} <= set(fields)
    assert calls[-1].query["expand"] == ["changelog"]


def test_pages_shrunk_by_the_server_are_not_taken_as_the_end(fakes, monkeypatch) -> None:
    monkeypatch.setenv("JIRA_PAGE_SIZE", "1000")  # Jira serves at most 100 issues when fields are asked for
    expected = expected_issues(fakes)
    result = load()
    assert loaded() == expected
    assert result.pages == -(-len(expected) // 100)
    first = next(r for r in search_calls(fakes) if r.query.get("expand"))
    assert first.query["maxResults"] == ["1000"]


def test_rerun_reads_only_the_overlap_and_changes_nothing(fakes, warehouse_path) -> None:
    first = load()
    before = table_rows(warehouse_path)
    cursor = query("select cursor from raw_meta.stream_state where source = 'jira' and stream = 'issues'")[0][0]
    assert json.loads(cursor)["updated_at"].startswith("2026-10-31")
    again = load()
    assert again.rows < first.rows / 10
    assert table_rows(warehouse_path) == before


def test_records_updated_between_pages_are_not_lost(fakes, monkeypatch) -> None:
    monkeypatch.setenv("JIRA_PAGE_SIZE", "15")
    store = fakes.store
    store.set_clock(store.clock - timedelta(days=6))
    at_start = expected_issues(fakes)
    # After the second page the site moves on three days: new requests, updates to read and unread ones.
    fakes.apis["jira"].faults.add(Fault("advance_clock", path=SEARCH + "$", after=1, delta=timedelta(days=3)))
    load()
    got = loaded()
    now = expected_issues(fakes)
    assert set(at_start) <= set(got) <= set(now)
    assert all(at_start[k] <= got[k] <= now[k] for k in at_start)
    load()  # the next run completes the picture
    assert loaded() == now


def test_the_fakes_page_token_is_not_a_snapshot(fakes) -> None:
    """Why the connector pages by keyset: following nextPageToken through a window while
    issues in it are updated (and so leave it) skips issues that never left it."""
    store = fakes.store
    store.set_clock(store.clock - timedelta(days=6))
    end = round(store.clock.timestamp() * 1000)
    jql = f"updated >= {end - 3 * 86_400_000} AND updated < {end} ORDER BY updated ASC, id ASC"
    window = {k for k, v in expected_issues(fakes).items() if end - 3 * 86_400_000 <= v < end}
    seen: set[str] = set()
    token = None
    while True:
        params = {"jql": jql, "fields": "updated", "maxResults": "5"}
        if token:
            params["nextPageToken"] = token
        page = api_get(fakes, SEARCH, **params).json()
        seen |= {i["id"] for i in page["issues"]}
        if token is None:
            store.advance(timedelta(days=3))  # resolved requests close, open ones move on
        token = page.get("nextPageToken")
        if page["isLast"]:
            break
    still_in_window = {k for k, v in expected_issues(fakes).items() if v < end}
    assert (window & still_in_window) - seen, "token paging should have skipped an issue that stayed in the window"


def test_jira_offsets_land_as_the_same_utc_instant_in_any_profile_time_zone(tiny_store, monkeypatch,
                                                                           tmp_path) -> None:
    from connectors.fakes.base import OrgStore

    results = {}
    with OrgStore(tiny_store) as store:
        for zone in ("America/Los_Angeles", "Asia/Kolkata"):
            api = FakeJira(store, time_zone=zone, api_token="t0ken-" + zone.split("/")[1]).start()
            try:
                monkeypatch.setenv("JIRA_BASE_URL", api.url)
                monkeypatch.setenv("JIRA_EMAIL", api.email)
                monkeypatch.setenv("JIRA_API_TOKEN", api.api_token)
                monkeypatch.setenv("ITOPS_START_DATE", "2026-09-01")
                monkeypatch.setenv("ITOPS_WAREHOUSE", str(tmp_path / f"tz-{zone.replace('/', '-')}.duckdb"))
                load()
                results[zone] = query(
                    """select id, record->'fields'->>'updated', updated_at,
                              record->'fields'->>'created', record->'changelog'->'histories'->0->>'created'
                       from raw_jira.issues order by id""")
            finally:
                api.stop()
    la, kolkata = results["America/Los_Angeles"], results["Asia/Kolkata"]
    assert all(raw.endswith("-0700") for _, raw, *_ in la)  # PDT through September and October
    assert all(raw.endswith("+0530") for _, raw, *_ in kolkata)
    assert [(i, u) for i, _, u, *_ in la] == [(i, u) for i, _, u, *_ in kolkata]
    for _, raw, updated_at, *_ in la:
        assert updated_at == datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)
    # Milliseconds are kept: the stamps are not whole seconds.
    assert any(u.microsecond for _, _, u, *_ in la)


def test_changelogs_cut_short_in_search_are_completed_from_the_changelog_endpoint(fakes) -> None:
    api = fakes.apis["jira"]
    api.changelog_limit = 2
    load()
    rows = query("""select id, (record->'changelog'->>'total')::int,
                           json_array_length(record->'changelog'->'histories'),
                           record->'changelog'->'histories'->0->>'id'
                    from raw_jira.issues""")
    long_ones = [r for r in rows if r[1] > 2]
    assert len(long_ones) > 50
    assert all(total == held for _, total, held, _ in rows)
    # The complete history, oldest first, exactly as the changelog endpoint serves it.
    issue_id = long_ones[0][0]
    full = api_get(fakes, f"/rest/api/3/issue/{issue_id}/changelog").json()
    record = json.loads(query("select record::varchar from raw_jira.issues where id = ?", [issue_id])[0][0])
    assert record["changelog"]["histories"] == full["values"]
    fetched = {r.path.split("/")[-2] for r in api.requests if r.path.endswith("/changelog")}
    assert fetched == {i for i, total, _, _ in long_ones}


def test_custom_fields_are_found_by_name_whatever_their_ids(tiny_store, monkeypatch, warehouse_path) -> None:
    from connectors.fakes.base import OrgStore

    ids = FieldIds(team="customfield_12001", request_type="customfield_11102", time_to_resolution="customfield_10760",
                   time_to_first_response="customfield_10761", satisfaction="customfield_10900",
                   satisfaction_date="customfield_10901")
    with OrgStore(tiny_store) as store, FakeJira(store, field_ids=ids) as api:
        monkeypatch.setenv("JIRA_BASE_URL", api.url)
        monkeypatch.setenv("JIRA_EMAIL", api.email)
        monkeypatch.setenv("JIRA_API_TOKEN", api.api_token)
        monkeypatch.setenv("ITOPS_START_DATE", "2026-09-01")
        load()
        asked = next(r for r in api.requests if r.path == SEARCH).query["fields"][0].split(",")
    assert {"customfield_12001", "customfield_10760", "customfield_10761", "customfield_10900"} <= set(asked)
    (with_sla, total) = query("""select count(*) filter (where (record->'fields'->'customfield_10760'->>'name')
                                                        = 'Time to resolution'), count(*) from raw_jira.issues""")[0]
    assert with_sla == total > 150


def test_rate_limit_wait_is_honoured(fakes, monkeypatch) -> None:
    monkeypatch.setenv("JIRA_PAGE_SIZE", "50")
    api = fakes.apis["jira"]
    api.rate_limited(1, path=SEARCH + "$", after=1)
    load()
    calls = search_calls(fakes)
    limited = next(i for i, r in enumerate(calls) if r.status == 429)
    assert calls[limited + 1].at - calls[limited].at >= 0.95
    assert loaded() == expected_issues(fakes)


def test_jira_reset_header_is_an_iso_minute() -> None:
    headers = FakeJira.rate_limit_headers(30)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", headers["X-RateLimit-Reset"])
    now = datetime(2026, 11, 1, 10, 14, 30, tzinfo=UTC).timestamp()
    assert parse_reset_header("2026-11-01T10:15Z", now=now) == pytest.approx(30.0)


def test_5xx_drops_and_truncated_bodies_are_retried_on_every_endpoint(fakes, monkeypatch) -> None:
    monkeypatch.setenv("JIRA_PAGE_SIZE", "40")
    api = fakes.apis["jira"]
    api.changelog_limit = 3
    faults = api.faults
    faults.add(Fault("status", path=SEARCH + "$", status=503, times=3, after=1))
    faults.add(Fault("drop", path=SEARCH + "$", after=3))
    faults.add(Fault("truncate", path=SEARCH + "$", after=5))
    faults.add(Fault("rewrite", path=SEARCH + "$", after=6, transform=lambda body: body[: len(body) // 2] + b"}"))
    faults.add(Fault("status", path="/changelog$", status=502, times=2, after=2))
    faults.add(Fault("truncate", path="/changelog$", after=5))
    result = load()
    assert result.retries >= 7
    faults.clear()
    assert loaded() == expected_issues(fakes)
    assert all(t == h for t, h in query("""select (record->'changelog'->>'total')::int,
                                                  json_array_length(record->'changelog'->'histories')
                                           from raw_jira.issues"""))
    faults.add(Fault("status", path="/feedback$", status=500, times=2, after=4))
    faults.add(Fault("drop", path="/feedback$", after=9))
    feedback = load("request_feedback")
    assert feedback.retries >= 3 and feedback.rows > 10


def test_persistent_failure_names_the_stream_and_window_and_keeps_the_cursor(fakes, monkeypatch) -> None:
    monkeypatch.setenv("ITOPS_HTTP_MAX_RETRIES", "2")
    fakes.apis["jira"].faults.add(Fault("status", path=SEARCH + "$", status=500, times=100))
    with pytest.raises(RetriesExhaustedError) as raised:
        load()
    message = str(raised.value)
    assert "jira/issues" in message and "window [" in message and "Next step" in message
    assert query("select count(*) from raw_meta.stream_state")[0][0] == 0


def test_bad_credentials_fail_clearly_without_the_secret(fakes, monkeypatch) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", "definitely-wrong-token")
    with pytest.raises(AuthError) as raised:
        load()
    assert "401" in str(raised.value) and "JIRA_API_TOKEN" in str(raised.value)
    assert "definitely-wrong-token" not in str(raised.value)


def test_bad_records_are_quarantined_and_the_load_goes_on(fakes) -> None:
    def corrupt(body: bytes) -> bytes:
        doc = json.loads(body)
        doc["issues"][0]["fields"]["updated"] = "31/02/2026 25:61"
        doc["issues"][1]["id"] = ""
        del doc["issues"][2]["key"]
        return json.dumps(doc).encode()

    fakes.apis["jira"].faults.add(Fault("rewrite", path=SEARCH + "$", transform=corrupt))
    result = load()
    assert result.quarantined == 3
    reasons = sorted(r for (r,) in query("select reason from raw_meta.quarantine where source = 'jira'"))
    assert reasons == ["missing primary key", "missing required field key",
                       "unparseable timestamp: 31/02/2026 25:61"]
    assert len(loaded()) == len(expected_issues(fakes)) - 3


def test_deleted_issues_are_flagged_by_a_full_id_read(fakes) -> None:
    api = fakes.apis["jira"]
    load()
    victims = sorted(loaded())[:2]
    for issue_id in victims:
        api.delete_issue(issue_id)
    load()  # an incremental read cannot see deletions: Jira keeps no tombstones
    assert set(victims) <= set(loaded())
    before = len(api.requests)
    result = load(mode="full")
    sweep = [r for r in api.requests[before:] if r.path == SEARCH]
    assert result.deleted == 2
    assert set(loaded("_is_deleted")) == set(victims)
    assert set(loaded()) == set(expected_issues(fakes))
    assert len(sweep) == 1  # ids only: up to 5000 per page
    assert sweep[0].query["fields"] == ["id"] and sweep[0].query["jql"][0].endswith("ORDER BY id ASC")
    # Rows are kept, flagged; the cursor of the incremental read did not move backwards.
    assert query("select count(*) from raw_jira.issues")[0][0] == len(expected_issues(fakes)) + 2


def test_backfill_window_loads_only_its_window_and_leaves_the_cursor(fakes, warehouse_path) -> None:
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 8, tzinfo=UTC)
    lo, hi = start.timestamp() * 1000, end.timestamp() * 1000
    expected = {k: v for k, v in expected_issues(fakes).items() if lo <= v < hi}
    assert expected
    load(mode="backfill", start=start, end=end)
    assert loaded() == expected
    assert query("select count(*) from raw_meta.stream_state")[0][0] == 0
    before = table_rows(warehouse_path)
    load(mode="backfill", start=start, end=end)
    assert table_rows(warehouse_path) == before


def test_request_feedback_is_the_csat_of_resolved_requests(fakes, tiny_store) -> None:
    load()
    result = load("request_feedback")
    got = dict(query("""select record->'issue'->>'key', (record->'feedback'->>'rating')::int
                        from raw_jira.request_feedback"""))
    con = duckdb.connect(str(tiny_store), read_only=True)
    truth = dict(con.execute(
        """select case t.ticket_type when 'incident' then 'OPS' else 'ITSD' end || '-' ||
                  cast(row_number() over (partition by t.ticket_type order by t.ticket_id) as varchar),
                  c.score
           from tickets t left join csat_responses c using (ticket_id) where t.source = 'jira'
           qualify c.score is not null""").fetchall())
    con.close()
    assert got == truth and len(got) > 10
    # Only requests whose Satisfaction field says they were rated are asked for their feedback.
    feedback_calls = [r for r in fakes.apis["jira"].requests if r.path.endswith("/feedback")]
    assert len(feedback_calls) == len(truth) and {r.status for r in feedback_calls} == {200}
    assert result.rows == len(truth)
    again = load("request_feedback")
    assert again.requests < len(feedback_calls) / 5  # only the overlap window is asked again


def test_feedback_without_a_satisfaction_field_asks_every_resolved_request(fakes, monkeypatch) -> None:
    original = JiraConnector.field_ids

    def without_satisfaction(self, stream, request):
        return {k: v for k, v in original(self, stream, request).items() if k != "Satisfaction"}

    load()
    monkeypatch.setattr(JiraConnector, "field_ids", without_satisfaction)
    result = load("request_feedback")
    calls = [r for r in fakes.apis["jira"].requests if r.path.endswith("/feedback")]
    resolved = query("""select count(*) from raw_jira.issues
                        where (record->'fields'->'status'->'statusCategory'->>'key') = 'done'""")[0][0]
    assert len(calls) == resolved > result.rows > 10
    assert {r.status for r in calls} == {200, 404}  # 404: no feedback given


def test_reference_streams_and_short_user_pages(fakes, monkeypatch) -> None:
    monkeypatch.setattr(JiraConnector, "USERS_PAGE_SIZE", 25)
    users = load("users")
    pages = [r for r in fakes.apis["jira"].requests if r.path.endswith("/users/search")]
    everyone = api_get(fakes, "/rest/api/3/users/search", maxResults="1000").json()
    assert users.rows == len(everyone) > 150
    counts = [len(api_get(fakes, "/rest/api/3/users/search", startAt=r.query["startAt"][0],
                          maxResults="25").json()) for r in pages]
    assert any(0 < c < 25 for c in counts[:-1])  # short pages mid-stream did not end the read
    assert {t for (t,) in query("select distinct record->>'accountType' from raw_jira.users")} == {
        "atlassian", "customer", "app"}
    assert load("projects").rows == 3
    assert load("fields").rows >= 20


def test_the_removed_search_endpoint_answers_410_and_unbounded_jql_400(fakes) -> None:
    gone = api_get(fakes, "/rest/api/3/search", jql="project = ITSD")
    assert gone.status_code == 410
    assert "migrate to the /rest/api/3/search/jql API" in gone.json()["errorMessages"][0]
    unbounded = api_get(fakes, SEARCH, jql="order by key desc")
    assert unbounded.status_code == 400
    assert unbounded.json()["errorMessages"] == [
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."]
    page = api_get(fakes, SEARCH, jql="project = ITSD", maxResults="2").json()
    assert "total" not in page and page["issues"][0].keys() == {"expand", "id", "self", "key"}
    before = len(fakes.apis["jira"].requests)
    load()
    assert not any(re.fullmatch(r"/rest/api/[23]/search", r.path) for r in fakes.apis["jira"].requests[before:])


def test_a_load_killed_midway_loses_and_duplicates_nothing_on_rerun(fakes, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("JIRA_PAGE_SIZE", "10")
    monkeypatch.setenv("ITOPS_FLUSH_ROWS", "30")
    clean_path, crash_path = tmp_path / "clean.duckdb", tmp_path / "crash.duckdb"
    load_to_the_end("jira", ["issues"], clean_path)
    kill_load_midway(fakes.apis["jira"], SEARCH + "$", "jira", ["issues"], crash_path, after_requests=9)
    con = duckdb.connect(str(crash_path), read_only=True)
    partial = con.execute("select count(*) from raw_jira.issues").fetchone()[0]
    cursor = con.execute("select cursor from raw_meta.stream_state where stream = 'issues'").fetchone()
    con.close()
    assert 0 < partial < len(expected_issues(fakes))
    assert cursor is not None  # it moved with the committed pages
    load_to_the_end("jira", ["issues"], crash_path)
    clean = [(i, u, r) for i, u, r, _ in table_rows(clean_path)]
    recovered = [(i, u, r) for i, u, r, _ in table_rows(crash_path)]
    assert recovered == clean

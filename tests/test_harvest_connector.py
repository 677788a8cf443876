"""Harvest connector against the fake Harvest v2 API: links.next to the end, rate limits,
faults, quarantine, late edits, deletions by reconciliation, reruns and crashes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import requests

from connectors.core.base import run_stream
from connectors.core.errors import AuthError
from connectors.core.warehouse import connect, open_writer
from connectors.fakes.base import Fault
from connectors.harvest import HarvestConnector
from tests.crash import kill_load_midway, load_to_the_end


def harvest_get(suite, path: str, **params) -> dict:
    env = suite.env
    response = requests.get(
        f"{env['HARVEST_BASE_URL']}{path}", params=params, timeout=30,
        headers={"Authorization": f"Bearer {env['HARVEST_ACCESS_TOKEN']}",
                 "Harvest-Account-Id": env["HARVEST_ACCOUNT_ID"], "User-Agent": "tests (qa@example.com)"},
    )
    response.raise_for_status()
    return response.json()


def all_records(suite, stream: str) -> dict[str, str]:
    """id -> updated_at of every record, following links.next like a careful client."""
    out, url, params = {}, f"/v2/{stream}", {"per_page": "2000"}
    while url:
        page = harvest_get(suite, url.replace(suite.env["HARVEST_BASE_URL"], ""), **params)
        out.update({str(r["id"]): r["updated_at"] for r in page[stream]})
        url, params = page["links"]["next"], {}
    return out


def load(stream: str, **kwargs):
    connector = HarvestConnector.from_env()
    with open_writer() as con:
        return run_stream(con, connector, stream, **kwargs)


def loaded(stream: str, live_only: bool = True) -> dict[str, str]:
    con = connect(read_only=True)
    try:
        where = "not _is_deleted" if live_only else "true"
        return dict(con.execute(
            f"select id, strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ') from raw_harvest.{stream} where {where}"
        ).fetchall())
    finally:
        con.close()


@pytest.mark.parametrize("stream", ["users", "projects", "time_entries", "clients", "tasks", "user_assignments",
                                    "task_assignments"])
def test_follows_links_next_to_the_end(fakes, monkeypatch, stream) -> None:
    monkeypatch.setenv("HARVEST_PAGE_SIZE", "25")
    expected = all_records(fakes, stream)
    result = load(stream)
    assert loaded(stream) == expected
    assert result.pages == max(-(-len(expected) // 25), 1)
    calls = [r for r in fakes.apis["harvest"].requests
             if r.path == f"/v2/{stream}" and r.query.get("per_page") == ["25"]]
    assert len(calls) == result.pages
    # Page 2 onwards come from the cursor links, never from computed page numbers.
    assert all("cursor" in r.query and "page" not in r.query for r in calls[1:])
    assert all(r.headers.get("user-agent") and r.headers.get("harvest-account-id") for r in calls)


def test_page_numbers_are_null_mid_stream(fakes) -> None:
    first = harvest_get(fakes, "/v2/time_entries", per_page=50)
    middle = harvest_get(fakes, first["links"]["next"].replace(fakes.env["HARVEST_BASE_URL"], ""))
    assert first["page"] == 1 and first["next_page"] == 2
    assert middle["page"] is None and middle["next_page"] is None
    assert middle["links"]["next"] is not None


def test_rerun_changes_nothing(fakes) -> None:
    load("time_entries")
    before = loaded("time_entries")
    again = load("time_entries")
    assert again.rows < 50  # the overlap window only
    assert loaded("time_entries") == before


def test_429_retry_after_is_honoured(fakes, monkeypatch) -> None:
    monkeypatch.setenv("HARVEST_PAGE_SIZE", "150")
    api = fakes.apis["harvest"]
    api.rate_limit = (3, 1.0)  # a stricter account than our budget assumes
    load("time_entries")
    calls = [r for r in api.requests if r.path == "/v2/time_entries"]
    limited = [i for i, r in enumerate(calls) if r.status == 429]
    assert limited, "the fake should have rate limited us"
    for i in limited:
        assert calls[i + 1].at - calls[i].at >= 0.9
    assert loaded("time_entries") == all_records(fakes, "time_entries")


def test_late_edits_are_upserted_not_duplicated(fakes) -> None:
    store = fakes.store
    store.set_clock(store.clock - timedelta(days=10))
    load("time_entries")
    first = loaded("time_entries")
    store.set_clock(store.clock + timedelta(days=10))
    load("time_entries")
    now = all_records(fakes, "time_entries")
    assert loaded("time_entries") == now
    changed = {k for k in first if k in now and now[k] != first[k]}
    assert changed, "some entries should have been edited late"


def test_a_full_read_of_a_window_flags_entries_deleted_at_the_source(fakes) -> None:
    store = fakes.store
    end_of_history = store.clock
    # Load as of just before the first deletion of a Harvest entry, then catch up.
    (first_delete,) = store.query(
        """select min(v.version_at) from time_entry_versions v join time_entries e using (time_entry_id)
           where v.is_deleted and e.tracked_in = 'harvest'""")[0]
    store.set_clock(first_delete - timedelta(seconds=1))
    load("time_entries")
    before = loaded("time_entries")
    store.set_clock(end_of_history)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    end = datetime(2026, 11, 1, tzinfo=UTC)
    result = load("time_entries", mode="full", start=start, end=end)
    now = all_records(fakes, "time_entries")
    gone = set(before) - set(now)
    assert gone, "the synthetic org deletes some entries after they were logged"
    assert result.deleted == len(gone)
    assert loaded("time_entries") == now
    assert gone <= set(loaded("time_entries", live_only=False))


def test_missing_account_header_or_token_is_an_auth_error(fakes, monkeypatch) -> None:
    monkeypatch.setenv("HARVEST_ACCOUNT_ID", "999")
    with pytest.raises(AuthError) as raised:
        load("users")
    assert "HARVEST_ACCESS_TOKEN" in str(raised.value)
    assert fakes.env["HARVEST_ACCESS_TOKEN"] not in str(raised.value)


@pytest.mark.parametrize("stream", ["cost_rates", "billable_rates"])
def test_rates_are_read_per_user_and_keep_their_user(fakes, monkeypatch, stream) -> None:
    monkeypatch.setenv("HARVEST_PAGE_SIZE", "5")
    users = all_records(fakes, "users")
    expected = {}
    for user_id in users:
        page = harvest_get(fakes, f"/v2/users/{user_id}/{stream}")
        expected.update({str(r["id"]): user_id for r in page[stream]})
    result = load(stream)
    con = connect(read_only=True)
    try:
        got = dict(con.execute(f"select id, user_id from raw_harvest.{stream}").fetchall())
    finally:
        con.close()
    assert got == expected and result.pages >= len(users)
    # Incremental: only the rates of users changed since the cursor are read again.
    api = fakes.apis["harvest"]
    before = len(api.requests)
    load(stream)
    again = [r.path for r in api.requests[before:] if r.path.endswith(stream)]
    user_pages = [r for r in api.requests[before:] if r.path == "/v2/users"]
    assert all("updated_since" in r.query for r in user_pages)
    assert len(again) < len(users)


def test_assignments_link_users_projects_and_tasks(fakes) -> None:
    for stream in ("users", "projects", "tasks", "user_assignments", "task_assignments", "time_entries"):
        load(stream)
    con = connect(read_only=True)
    try:
        orphans = con.execute("""
            select count(*) from raw_harvest.time_entries e
            where not exists (select 1 from raw_harvest.user_assignments a
                              where a.id = (e.record->'user_assignment'->>'id'))
               or not exists (select 1 from raw_harvest.task_assignments a
                              where a.id = (e.record->'task_assignment'->>'id'))
        """).fetchone()[0]
        assignments = con.execute("select count(*) from raw_harvest.user_assignments").fetchone()[0]
    finally:
        con.close()
    assert assignments > 0 and orphans == 0


def test_5xx_bursts_drops_and_truncated_bodies_are_retried(fakes, monkeypatch) -> None:
    monkeypatch.setenv("HARVEST_PAGE_SIZE", "100")
    faults = fakes.apis["harvest"].faults
    faults.add(Fault("status", path="^/v2/time_entries$", status=502, times=2, after=1))
    faults.add(Fault("drop", path="^/v2/time_entries$", times=1, after=3))
    faults.add(Fault("truncate", path="^/v2/time_entries$", times=1, after=5))
    load("time_entries")
    assert loaded("time_entries") == all_records(fakes, "time_entries")


def test_bad_records_are_quarantined_and_the_load_goes_on(fakes) -> None:
    def corrupt(body: bytes) -> bytes:
        doc = json.loads(body)
        doc["time_entries"][0]["updated_at"] = "last Tuesday"
        doc["time_entries"][1]["id"] = None
        return json.dumps(doc).encode()

    fakes.apis["harvest"].faults.add(Fault("rewrite", path="^/v2/time_entries$", transform=corrupt))
    result = load("time_entries")
    assert result.quarantined == 2
    con = connect(read_only=True)
    try:
        reasons = sorted(r for (r,) in con.execute(
            "select reason from raw_meta.quarantine where stream = 'time_entries'").fetchall())
    finally:
        con.close()
    assert reasons[0] == "missing primary key"
    assert reasons[1].startswith("unparseable timestamp: last Tuesday")
    assert len(loaded("time_entries")) == len(all_records(fakes, "time_entries")) - 2


def raw_rows(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select id, updated_at, record::varchar, _is_deleted from raw_harvest.time_entries "
                           "order by id").fetchall()
    finally:
        con.close()


def test_a_load_killed_midway_loses_and_duplicates_nothing_on_rerun(fakes, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HARVEST_PAGE_SIZE", "10")
    monkeypatch.setenv("ITOPS_FLUSH_ROWS", "30")
    clean_path, crash_path = tmp_path / "clean.duckdb", tmp_path / "crash.duckdb"
    load_to_the_end("harvest", ["time_entries"], clean_path)
    kill_load_midway(fakes.apis["harvest"], "^/v2/time_entries$", "harvest", ["time_entries"], crash_path,
                     after_requests=12)
    con = duckdb.connect(str(crash_path), read_only=True)
    try:
        partial = con.execute("select count(*) from raw_harvest.time_entries").fetchone()[0]
    finally:
        con.close()
    assert 0 < partial < len(raw_rows(clean_path))
    load_to_the_end("harvest", ["time_entries"], crash_path)
    assert raw_rows(crash_path) == raw_rows(clean_path)

"""ServiceNow connector against the fake Table API: paging to the true end, keysets,
ACL-shortened pages, v1 empty results, faults, quarantine, reruns and crashes."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import requests

from connectors.core.base import run_stream
from connectors.core.errors import AuthError, RetriesExhaustedError
from connectors.core.warehouse import connect, open_writer
from connectors.fakes.base import Fault
from connectors.servicenow import ServiceNowConnector
from tests.crash import kill_load_midway, load_to_the_end


def expected_incidents(suite) -> dict[str, str]:
    """sys_id -> sys_updated_on of every incident the fake serves now (one big page)."""
    env = suite.env
    response = requests.get(
        f"{env['SERVICENOW_INSTANCE_URL']}/api/now/table/incident",
        params={"sysparm_limit": "100000", "sysparm_fields": "sys_id,sys_updated_on"},
        auth=(env["SERVICENOW_USERNAME"], env["SERVICENOW_PASSWORD"]),
        timeout=30,
    )
    return {r["sys_id"]: r["sys_updated_on"] for r in response.json()["result"]}


def load(stream: str = "incident", **kwargs):
    connector = ServiceNowConnector.from_env()
    with open_writer() as con:
        return run_stream(con, connector, stream, **kwargs)


def loaded(table: str = "raw_servicenow.incident", where: str = "true") -> dict[str, str]:
    con = connect(read_only=True)
    try:
        return dict(con.execute(
            f"select id, strftime(updated_at, '%Y-%m-%d %H:%M:%S') from {table} where {where}"
        ).fetchall())
    finally:
        con.close()


def table_rows(path: Path, table: str = "raw_servicenow.incident") -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select id, updated_at, record::varchar, _is_deleted from {table} order by id").fetchall()
    finally:
        con.close()


def test_pages_through_to_the_true_end_with_keyset_queries(fakes, monkeypatch) -> None:
    monkeypatch.setenv("SERVICENOW_PAGE_SIZE", "7")
    expected = expected_incidents(fakes)
    assert len(expected) > 150  # many pages at 7 per page
    result = load()
    assert loaded() == expected
    assert result.pages >= len(expected) // 7
    queries = [r.query["sysparm_query"][0] for r in fakes.apis["servicenow"].requests
               if r.path.endswith("/incident") and "sysparm_query" in r.query]
    # First page bounded by the window, later pages continue after the last key read.
    assert queries[0].startswith("sys_updated_on>=")
    assert all("^NQsys_updated_on=" in q and "^sys_id>" in q for q in queries[1:])
    assert all(q.endswith("^ORDERBYsys_updated_on^ORDERBYsys_id") for q in queries)


def test_rerun_changes_nothing(fakes) -> None:
    load()
    before = table_rows(Path(os.environ["ITOPS_WAREHOUSE"]))
    again = load()
    assert again.rows < 20  # only the overlap window is re-read
    assert table_rows(Path(os.environ["ITOPS_WAREHOUSE"])) == [
        (i, u, r, d) for i, u, r, d in before
    ]


def test_short_and_empty_pages_from_acls_do_not_stop_the_read(fakes, monkeypatch) -> None:
    monkeypatch.setenv("SERVICENOW_PAGE_SIZE", "10")
    api = fakes.apis["servicenow"]
    everything = expected_incidents(fakes)
    # Rows the integration user may not see, clustered so that whole pages come back empty
    # and others short: ServiceNow applies sysparm_limit before ACLs.
    api.acl_hidden["incident"] = "number between 'INC0000020' and 'INC0000060' or number like '%3'"
    visible = expected_incidents(fakes)
    assert len(everything) - len(visible) > 40
    load()
    assert loaded() == visible
    offsets = [int(r.query["sysparm_offset"][0]) for r in api.requests
               if r.path.endswith("/incident") and "sysparm_offset" in r.query]
    # Empty pages were stepped over by offset, not taken as the end.
    assert max(offsets) >= 20


def test_v1_empty_result_404_is_an_empty_page(fakes, monkeypatch) -> None:
    monkeypatch.setenv("SERVICENOW_API_VERSION", "v1")
    result = load(mode="backfill", start=datetime(2001, 1, 1, tzinfo=UTC), end=datetime(2001, 1, 2, tzinfo=UTC))
    assert result.rows == 0
    assert any(r.status == 404 for r in fakes.apis["servicenow"].requests)


def test_backfill_window_loads_only_its_window_and_leaves_the_cursor(fakes) -> None:
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 8, tzinfo=UTC)
    expected = {k: v for k, v in expected_incidents(fakes).items() if "2026-10-01" <= v < "2026-10-08"}
    load(mode="backfill", start=start, end=end)
    assert loaded() == expected
    con = connect(read_only=True)
    try:
        assert con.execute("select count(*) from raw_meta.stream_state").fetchone()[0] == 0
        assert con.execute("select count(*) from raw_meta.backfill_windows").fetchone()[0] == 1
    finally:
        con.close()
    # The same window again changes nothing.
    before = table_rows(Path(os.environ["ITOPS_WAREHOUSE"]))
    load(mode="backfill", start=start, end=end)
    assert table_rows(Path(os.environ["ITOPS_WAREHOUSE"])) == before


def test_rate_limit_wait_is_honoured(fakes, monkeypatch) -> None:
    monkeypatch.setenv("SERVICENOW_PAGE_SIZE", "50")
    api = fakes.apis["servicenow"]
    api.faults.retry_after(1, path="/incident$", after=2)
    load()
    calls = [r for r in api.requests if r.path.endswith("/incident")]
    limited = next(i for i, r in enumerate(calls) if r.status == 429)
    assert calls[limited + 1].at - calls[limited].at >= 0.95
    assert loaded() == expected_incidents(fakes)


def test_5xx_bursts_drops_and_truncated_bodies_are_retried(fakes, monkeypatch) -> None:
    monkeypatch.setenv("SERVICENOW_PAGE_SIZE", "40")
    faults = fakes.apis["servicenow"].faults
    faults.add(Fault("status", path="/incident$", status=503, times=3, after=1))
    faults.add(Fault("drop", path="/incident$", after=3))
    faults.add(Fault("truncate", path="/incident$", after=5))
    faults.add(Fault("rewrite", path="/incident$", after=6, transform=lambda body: body[: len(body) // 2] + b"}"))
    result = load()
    assert result.retries >= 5
    assert loaded() == expected_incidents(fakes)


def test_persistent_failure_names_the_stream_and_window_and_keeps_the_cursor(fakes, monkeypatch) -> None:
    monkeypatch.setenv("ITOPS_HTTP_MAX_RETRIES", "2")
    fakes.apis["servicenow"].faults.add(Fault("status", path="/incident$", status=500, times=100))
    with pytest.raises(RetriesExhaustedError) as raised:
        load()
    message = str(raised.value)
    assert "servicenow/incident" in message and "window [" in message and "Next step" in message
    con = connect(read_only=True)
    try:
        assert con.execute("select count(*) from raw_meta.stream_state").fetchone()[0] == 0
        status, error = con.execute("select status, error from raw_meta.load_runs").fetchone()
    finally:
        con.close()
    assert status == "failed" and "HTTP 500" in error


def test_bad_credentials_fail_clearly_without_the_secret(fakes, monkeypatch) -> None:
    monkeypatch.setenv("SERVICENOW_PASSWORD", "definitely-wrong-secret")
    with pytest.raises(AuthError) as raised:
        load()
    assert "401" in str(raised.value) and "SERVICENOW_USERNAME" in str(raised.value)
    assert "definitely-wrong-secret" not in str(raised.value)


def test_bad_records_are_quarantined_and_the_load_goes_on(fakes) -> None:
    def corrupt(body: bytes) -> bytes:
        doc = json.loads(body)
        doc["result"][0]["sys_updated_on"] = "31/02/2026 25:61"
        doc["result"][1]["sys_id"] = ""
        return json.dumps(doc).encode()

    fakes.apis["servicenow"].faults.add(Fault("rewrite", path="/incident$", transform=corrupt))
    result = load()
    assert result.quarantined == 2
    con = connect(read_only=True)
    try:
        reasons = sorted(r for (r,) in con.execute("select reason from raw_meta.quarantine").fetchall())
    finally:
        con.close()
    assert reasons[0] == "missing primary key"
    assert reasons[1].startswith("unparseable timestamp: 31/02/2026")
    assert len(loaded()) == len(expected_incidents(fakes)) - 2


def test_a_page_ending_in_a_bad_record_pages_on_from_its_good_rows(fakes, monkeypatch) -> None:
    # The next page's key normally comes from the last record of the body; when that one
    # cannot be a key (its stamp is not a ServiceNow datetime), the page lands at once and
    # paging continues after the page's greatest good key.
    monkeypatch.setenv("SERVICENOW_PAGE_SIZE", "50")

    def corrupt_last(body: bytes) -> bytes:
        doc = json.loads(body)
        if doc["result"]:
            doc["result"][-1]["sys_updated_on"] = "tomorrow"
        return json.dumps(doc).encode()

    expected = expected_incidents(fakes)
    fakes.apis["servicenow"].faults.add(Fault("rewrite", path="/incident$", transform=corrupt_last, times=10**6))
    result = load()
    # Each page's corrupted last row comes back first (intact) on the next page, so only the
    # very last record, corrupted on every read of it, never lands; nothing else is lost.
    very_last = max(expected, key=lambda sys_id: (expected[sys_id], sys_id))
    assert set(loaded()) == set(expected) - {very_last}
    assert result.quarantined == result.pages


def test_records_updated_between_pages_are_not_lost(fakes, monkeypatch) -> None:
    monkeypatch.setenv("SERVICENOW_PAGE_SIZE", "15")
    store = fakes.store
    store.set_clock(store.clock - timedelta(days=6))
    # After the third page the source moves on by three days: new tickets, updates to old ones.
    fakes.apis["servicenow"].faults.add(Fault("advance_clock", path="/incident$", after=2, delta=timedelta(days=3)))
    load()
    got = loaded()
    now = expected_incidents(fakes)
    # Whatever we hold is a real version, and nothing that existed when we started is missing.
    assert set(got) <= set(now)
    assert all(got[k] <= now[k] for k in got)
    load()  # the next run completes the picture
    assert loaded() == now


def test_a_load_killed_midway_loses_and_duplicates_nothing_on_rerun(fakes, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SERVICENOW_PAGE_SIZE", "10")
    monkeypatch.setenv("ITOPS_FLUSH_ROWS", "30")
    clean_path, crash_path = tmp_path / "clean.duckdb", tmp_path / "crash.duckdb"
    load_to_the_end("servicenow", ["incident"], clean_path)
    kill_load_midway(fakes.apis["servicenow"], "/incident$", "servicenow", ["incident"], crash_path,
                     after_requests=12)
    con = duckdb.connect(str(crash_path), read_only=True)
    partial = con.execute("select count(*) from raw_servicenow.incident").fetchone()[0]
    con.close()
    assert 0 < partial < len(expected_incidents(fakes))
    load_to_the_end("servicenow", ["incident"], crash_path)
    clean = [(i, u, r) for i, u, r, _ in table_rows(clean_path)]
    recovered = [(i, u, r) for i, u, r, _ in table_rows(crash_path)]
    assert recovered == clean

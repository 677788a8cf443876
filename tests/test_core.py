"""The shared connector core: landing semantics, cursors, HTTP helpers, redaction, locks."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime

import duckdb
import pytest

from connectors.core.config import redact, register_secret
from connectors.core.errors import ConnectorError, WarehouseLockedError
from connectors.core.http import RequestBudget, parse_reset_header
from connectors.core.landing import Landing, StreamSpec, get_cursor
from connectors.core.warehouse import META_DDL, connect, open_writer

SPEC = StreamSpec(
    source="demo",
    name="things",
    records_path="$.items",
    primary_key="rec->>'id'",
    updated_raw="rec->>'updated_at'",
    updated_at="try_cast(rec->>'updated_at' as timestamptz)",
    required=("name",),
)


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    connection.execute(META_DDL)
    yield connection
    connection.close()


def page(*records: dict) -> str:
    return json.dumps({"items": list(records), "next": None})


def rows(con) -> dict[str, tuple]:
    return {i: (u, json.loads(r)["name"], d) for i, u, r, d in
            con.execute("select id, updated_at, record, _is_deleted from raw_demo.things").fetchall()}


def test_upsert_keeps_the_newest_version_and_never_rolls_back(con) -> None:
    landing = Landing(con, SPEC)
    landing.page(page({"id": 1, "updated_at": "2026-01-02T00:00:00Z", "name": "new"}))
    landing.finish()
    landing = Landing(con, SPEC)
    # An older version read late (a slow page of an earlier read) must not win.
    landing.page(page({"id": 1, "updated_at": "2026-01-01T00:00:00Z", "name": "old"},
                      {"id": 2, "updated_at": "2026-01-01T00:00:00Z", "name": "two"}))
    landing.finish()
    got = rows(con)
    assert got["1"][1] == "new" and got["2"][1] == "two"
    assert len(got) == 2


def test_duplicates_within_a_batch_keep_the_last_read_of_the_newest(con) -> None:
    landing = Landing(con, SPEC)
    landing.page(page({"id": 1, "updated_at": "2026-01-01T00:00:00Z", "name": "a"}))
    landing.page(page({"id": 1, "updated_at": "2026-01-01T00:00:00Z", "name": "b"},
                      {"id": 1, "updated_at": "2025-12-31T00:00:00Z", "name": "older"}))
    landing.finish()
    assert rows(con)["1"][1] == "b"


def test_cursor_is_committed_only_with_its_rows(con) -> None:
    landing = Landing(con, SPEC, flush_rows=2)
    landing.page(page({"id": 1, "updated_at": "2026-01-01T00:00:00Z", "name": "a"}))
    landing.checkpoint({"updated_at": "2026-01-01T00:00:00+00:00"})
    assert get_cursor(con, "demo", "things") is None  # not flushed yet: no cursor either
    landing.page(page({"id": 2, "updated_at": "2026-01-02T00:00:00Z", "name": "b"}))  # reaches flush_rows
    assert get_cursor(con, "demo", "things") == {"updated_at": "2026-01-01T00:00:00+00:00"}
    assert len(rows(con)) == 2


def test_a_failed_commit_leaves_rows_and_cursor_untouched(con, monkeypatch) -> None:
    landing = Landing(con, SPEC)
    landing.page(page({"id": 1, "updated_at": "2026-01-01T00:00:00Z", "name": "a"}))
    landing.checkpoint({"updated_at": "2026-01-01T00:00:00+00:00"})
    real_execute = con.execute

    class Boom(Exception):
        pass

    class Exploding:
        def __getattr__(self, name):
            return getattr(con, name)

        def execute(self, sql, *args):
            if sql.strip().startswith("insert or replace into raw_meta.stream_state"):
                raise Boom("disk full")
            return real_execute(sql, *args)

    landing.con = Exploding()
    with pytest.raises(Boom):
        landing.flush()
    assert con.execute("select count(*) from raw_demo.things").fetchone()[0] == 0
    assert get_cursor(con, "demo", "things") is None


def test_bad_records_are_quarantined_with_a_reason(con) -> None:
    landing = Landing(con, SPEC)
    landing.page(page(
        {"id": 1, "updated_at": "2026-01-01T00:00:00Z", "name": "ok"},
        {"updated_at": "2026-01-01T00:00:00Z", "name": "no id"},
        {"id": 3, "updated_at": "yesterday", "name": "bad time"},
        {"id": 4, "updated_at": "2026-01-01T00:00:00Z"},
        {"id": 5, "name": "no stamp"},
    ))
    result = landing.finish()
    assert result.rows == 1 and result.quarantined == 4
    reasons = sorted(r for (r,) in con.execute("select reason from raw_meta.quarantine").fetchall())
    assert reasons == ["missing modification timestamp", "missing primary key", "missing required field name",
                       "unparseable timestamp: yesterday"]


def test_malformed_page_is_reported_for_a_refetch(con) -> None:
    from connectors.core.http import MalformedBody

    landing = Landing(con, SPEC)
    with pytest.raises(MalformedBody):
        landing.page('{"items": [{"id": 1, "updated_at": "2026-01-0')


def test_background_landing_commits_each_cursor_with_the_pages_before_it(con) -> None:
    landing = Landing(con, SPEC, flush_rows=2)
    with landing.background():
        landing.submit(page({"id": 1, "updated_at": "2026-01-01T00:00:00Z", "name": "a"}))
        landing.checkpoint({"updated_at": "2026-01-01T00:00:00+00:00"})
        landing.submit(page({"id": 2, "updated_at": "2026-01-02T00:00:00Z", "name": "b"}))  # reaches flush_rows
        landing.checkpoint({"updated_at": "2026-01-02T00:00:00+00:00"})  # staged after the flush: waits
        landing.submit(page({"id": 2, "updated_at": "2026-01-02T00:00:00Z", "name": "b again"}))
        assert landing.last_key()[1] == "2"  # reads wait for the queue
        assert get_cursor(con, "demo", "things") == {"updated_at": "2026-01-01T00:00:00+00:00"}
    landing.finish()
    assert get_cursor(con, "demo", "things") == {"updated_at": "2026-01-02T00:00:00+00:00"}
    assert {i: r[1] for i, r in rows(con).items()} == {"1": "a", "2": "b again"}


def test_a_background_failure_surfaces_and_moves_no_cursor(con) -> None:
    from connectors.core.http import MalformedBody

    landing = Landing(con, SPEC, flush_rows=1000)
    with (pytest.raises(ConnectorError, match="demo/things: page 2 passed validation") as raised,
          landing.background()):
        landing.submit(page({"id": 1, "updated_at": "2026-01-01T00:00:00Z", "name": "a"}))
        landing.checkpoint({"updated_at": "2026-01-01T00:00:00+00:00"})
        landing.submit('{"items": {"not": "a list"}}')  # records path is an object: DuckDB rejects it
        landing.checkpoint({"updated_at": "2026-01-02T00:00:00+00:00"})
    # Not a MalformedBody: that would make the HTTP layer re-fetch whichever page it was validating.
    assert not isinstance(raised.value, MalformedBody)
    landing.fail(raised.value)
    assert get_cursor(con, "demo", "things") is None
    assert rows(con) == {}


def test_deletes_are_flagged_not_removed(con) -> None:
    landing = Landing(con, SPEC)
    landing.page(page({"id": 1, "updated_at": "2026-01-01T00:00:00Z", "name": "a"},
                      {"id": 2, "updated_at": "2026-01-01T00:00:00Z", "name": "b"}))
    landing.deleted(["2"], datetime(2026, 1, 3, tzinfo=UTC))
    result = landing.finish()
    got = rows(con)
    assert result.deleted == 1
    assert got["2"][2] is True and got["1"][2] is False


def test_full_read_flags_only_unseen_rows_within_its_scope(con) -> None:
    landing = Landing(con, SPEC)
    landing.page(page(*[{"id": i, "updated_at": "2026-01-01T00:00:00Z", "name": str(i)} for i in range(1, 5)]))
    landing.finish()
    landing = Landing(con, SPEC, mode="full", reconcile_where="id in ('1', '2')")
    landing.page(page({"id": 1, "updated_at": "2026-01-01T00:00:00Z", "name": "1"}))
    result = landing.finish()
    got = rows(con)
    assert result.deleted == 1
    assert [k for k, v in sorted(got.items()) if v[2]] == ["2"]


def test_reset_headers_are_read_in_every_vendor_format() -> None:
    now = 1_800_000_000.0
    assert parse_reset_header("30", now) == 30
    assert parse_reset_header(str(int(now) + 45), now) == 45  # ServiceNow: epoch seconds
    assert parse_reset_header("2027-01-15T08:00Z", datetime(2027, 1, 15, 7, 59, tzinfo=UTC).timestamp()) == 60
    assert parse_reset_header("not a time", now) is None


def test_request_budget_spaces_requests() -> None:
    budget = RequestBudget(3, 0.5)
    started = time.monotonic()
    for _ in range(7):
        budget.acquire()
    # 7 requests at 3 per 0.5 s need at least two full windows.
    assert time.monotonic() - started >= 1.0


def test_redaction_scrubs_registered_secrets_and_credential_shapes() -> None:
    register_secret("s3cr3t-value-123")
    text = "GET https://user:pw@host/x?token=abc&x=1 failed: s3cr3t-value-123 Authorization: Bearer xyz"
    cleaned = redact(text)
    assert "s3cr3t-value-123" not in cleaned and "abc" not in cleaned and "xyz" not in cleaned and ":pw@" not in cleaned
    assert "nextPageToken=keepme" in redact("nextPageToken=keepme")


def test_connector_errors_are_redacted_and_actionable() -> None:
    register_secret("another-secret-9876")
    error = ConnectorError("boom with another-secret-9876", source="x", stream="y", hint="do z")
    assert str(error) == "x/y: boom with ***. Next step: do z"


def test_a_second_writer_process_waits_then_fails_clearly(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from connectors.core.warehouse import open_writer\n"
         f"with open_writer(Path({str(db)!r})):\n    print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        import os

        os.environ["ITOPS_LOCK_TIMEOUT"] = "1"
        try:
            with pytest.raises(WarehouseLockedError) as raised, open_writer(db):
                pass
        finally:
            del os.environ["ITOPS_LOCK_TIMEOUT"]
        assert "itops status" in str(raised.value)
        # DuckDB's own lock is turned into the same actionable error for readers of the working file.
        with pytest.raises(WarehouseLockedError) as raised:
            connect(db, read_only=True)
        assert "published copy" in str(raised.value)
    finally:
        holder.kill()
        holder.wait()

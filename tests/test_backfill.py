"""History backfills: a backfill over a range gives the same marts as nightly incremental
pulls over the same days; an interrupted backfill resumes without re-reading finished
windows; backfilling loaded windows changes nothing; `itops status` tells what happened."""

from __future__ import annotations

import io
import logging
import math
import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from connectors.core.base import run_stream
from connectors.core.warehouse import connect, open_writer
from connectors.fakes.base import Fault
from connectors.registry import CONNECTORS, build
from pipelines.backfill import BackfillRangeError, ProgressBar, check_range, plan, run_backfill
from pipelines.cli import main as itops
from pipelines.definitions import build_definitions
from pipelines.defs.history import HISTORY_PREFIX, fact_streams, progress_log
from pipelines.runner import execute_job, run_refresh
from pipelines.status import collect
from tests.conftest import END_DATE

RAW_FACTS = ["raw_servicenow.incident", "raw_harvest.time_entries"]


def mart_tables(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [f"marts.{name}" for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
    finally:
        con.close()


def differences(a: Path, b: Path, tables: list[str]) -> dict[str, tuple[int, int, int]]:
    """Per table: (rows only in a, rows only in b, rows in a); every column compared, floats
    with a relative tolerance of 1e-9 (a sum of doubles depends on the order rows are read in)."""
    return {table: (len(only_a), len(only_b), total)
            for table, (only_a, only_b, total) in _unmatched(a, b, tables).items()}


def sample_differences(a: Path, b: Path, table: str, limit: int = 4) -> list[tuple]:
    """A few rows of `table` found in only one of the two warehouses, tagged with where."""
    only_a, only_b, _ = _unmatched(a, b, [table])[table]
    return [("only in a", *row) for row in only_a[:limit]] + [("only in b", *row) for row in only_b[:limit]]


def _unmatched(a: Path, b: Path, tables: list[str]) -> dict[str, tuple[list[tuple], list[tuple], int]]:
    """Rows of each table in only one warehouse. Rows are first matched exactly, floats rounded
    to 9 decimals; what is left is paired on the other columns, and floats that agree within
    1e-9 (relative) match too: rounding alone fails when two sums straddle a rounding step."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{a}' as a (read_only)")
        con.execute(f"attach '{b}' as b (read_only)")
        found = {}
        for table in tables:
            described = con.execute(f"describe a.{table}").fetchall()
            is_float = [kind in ("DOUBLE", "FLOAT") for _, kind, *_ in described]
            columns = ", ".join(f'"{name}"' for name, *_ in described)
            rows_a, rows_b = (con.execute(f"select {columns} from {x}.{table}").fetchall() for x in ("a", "b"))

            def rounded(row: tuple, is_float: list[bool] = is_float) -> tuple:
                return tuple(round(v, 9) if flt and v is not None else repr(v)
                             for v, flt in zip(row, is_float, strict=True))

            def only(rows: list[tuple], others: list[tuple]) -> list[tuple]:
                extra = Counter(map(rounded, rows)) - Counter(map(rounded, others))
                kept = []
                for row in rows:
                    if extra[rounded(row)] > 0:
                        extra[rounded(row)] -= 1
                        kept.append(row)
                return kept

            unmatched = _pair_within_tolerance(only(rows_a, rows_b), only(rows_b, rows_a), is_float)
            found[table] = (*unmatched, len(rows_a))
        return found
    finally:
        con.close()


def _pair_within_tolerance(rows_a: list[tuple], rows_b: list[tuple], is_float: list[bool]) -> tuple[list, list]:
    def key(row: tuple) -> tuple:
        return tuple(repr(v) for v, flt in zip(row, is_float, strict=True) if not flt)

    def close(x: tuple, y: tuple) -> bool:
        return all(math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-9) if u is not None and v is not None else u == v
                   for u, v, flt in zip(x, y, is_float, strict=True) if flt)

    left = list(rows_a)
    unmatched_b = []
    for row in rows_b:
        match = next((i for i, other in enumerate(left) if key(other) == key(row) and close(other, row)), None)
        if match is None:
            unmatched_b.append(row)
        else:
            left.pop(match)
    return left, unmatched_b


def fingerprint(db: Path, tables: list[str]) -> dict[str, str]:
    """Every row of each raw table, load metadata included: any rewrite changes it."""
    con = connect(db, read_only=True)
    try:
        return {t: con.execute(f"select count(*) || ':' || coalesce(sum(hash(id, updated_at, record::varchar, "
                               f"_batch_id, _loaded_at)), 0) from {t}").fetchall()[0][0] for t in tables}
    finally:
        con.close()


def completed_days(db: Path, source: str, stream: str) -> set[date]:
    con = connect(db, read_only=True)
    try:
        return {start.date() for (start,) in con.execute(
            "select window_start from raw_meta.backfill_windows where source = ? and stream = ?",
            [source, stream]).fetchall()}
    finally:
        con.close()


def requested_days(api, path: str, param: str, since: int) -> list[date]:
    """The window start of each request the fake answered on ``path`` after the first ``since``."""
    days = []
    for entry in api.requests[since:]:
        if entry.path.endswith(path) and entry.query.get(param):
            value = entry.query[param][0]
            days.append(date.fromisoformat(value[:10]) if param == "from" else
                        date.fromisoformat(value.split("sys_updated_on>=")[1][:10]))
    return days


def incremental_pulls(store, days: list[datetime]) -> None:
    """What the nightly does on each day: every stream of every source, incrementally."""
    connectors = {name: build(name) for name in CONNECTORS if CONNECTORS[name].enabled()}
    for moment in days:
        store.set_clock(moment)
        with open_writer() as con:
            for connector in connectors.values():
                for spec in connector.streams():
                    run_stream(con, connector, spec.name, mode="incremental")


@pytest.mark.slow
def test_backfill_resumes_after_interruption_matches_incremental_and_reruns_change_nothing(
    fakes, tmp_path, monkeypatch
) -> None:
    store = fakes.store
    # ServiceNow and Harvest only: both paths must cover the same sources, and this test is
    # about the mechanics, which every source shares.
    for key in [k for k in os.environ if k.startswith(("JIRA_", "ZENDESK_", "PAGERDUTY_", "RUNN_"))]:
        monkeypatch.delenv(key)
    # A month of history keeps the test quick; both paths read from ITOPS_START_DATE on.
    start, end = date(2026, 10, 1), END_DATE
    monkeypatch.setenv("ITOPS_START_DATE", start.isoformat())
    days = (end - start).days
    backfilled = tmp_path / "backfill" / "itops.duckdb"
    incremental = tmp_path / "incremental" / "itops.duckdb"
    defs = build_definitions()
    harvest, servicenow = fakes.apis["harvest"], fakes.apis["servicenow"]

    with dg.DagsterInstance.ephemeral() as instance:
        # -- 1. the backfill path, interrupted: Harvest's credentials stop working mid-way.
        monkeypatch.setenv("ITOPS_WAREHOUSE", str(backfilled))
        store.set_clock(datetime.combine(end, datetime.min.time(), tzinfo=UTC))
        harvest.faults.add(Fault("status", path="/v2/time_entries$", status=401, after=12, times=1,
                                 body=b'{"error":"invalid_token"}'))
        first = run_backfill(defs, start=start, end=end, sources=["servicenow", "harvest"], instance=instance)
        assert not first.success
        assert first.failed_step == "harvest_history" and "HTTP 401" in first.error
        done_before = completed_days(backfilled, "harvest", "time_entries")
        assert 0 < len(done_before) < days, "the interruption must fall mid-backfill"

        # -- 2. resume: only the windows not finished are read again.
        seen = {name: len(api.requests) for name, api in fakes.apis.items()}
        lines: list[str] = []
        progress_log.addHandler(recorder := _Recorder(lines))
        shown = io.StringIO()
        try:
            todo = plan(["servicenow", "harvest"], start, end)
            streams = sum(len(fact_streams(CONNECTORS[name])) for name in ("servicenow", "harvest"))
            assert todo.windows == streams * days and todo.already_loaded >= len(done_before)
            second = run_backfill(defs, start=start, end=end, sources=["servicenow", "harvest"], instance=instance,
                                  progress=ProgressBar(todo.windows, stream=shown))
        finally:
            progress_log.removeHandler(recorder)
        assert second.success, second.error
        assert f"{todo.windows}/{todo.windows} windows (100%)" in shown.getvalue().splitlines()[-1]
        # dbt was given the window (for incremental models; see docs/operations.md).
        window_vars = f'"backfill_start": "{start}", "backfill_end": "{end}"'
        assert any("dbt build" in entry.message and window_vars in entry.message
                   for entry in instance.all_logs(second.run_id)), "dbt did not get the backfill window"
        reread = requested_days(harvest, "/v2/time_entries", "from", seen["harvest"])
        assert reread and not set(reread) & done_before, "finished windows were read again"
        assert set(reread) | done_before == {start + timedelta(days=i) for i in range(days)}
        assert len(lines) == todo.windows  # one progress record per window, loaded or skipped
        assert completed_days(backfilled, "servicenow", "incident") == {start + timedelta(days=i)
                                                                         for i in range(days)}

        # -- 3. backfilling what is loaded changes nothing, and asks the APIs for no window.
        before = fingerprint(backfilled, RAW_FACTS)
        seen = {name: len(api.requests) for name, api in fakes.apis.items()}
        history_only = [k for k in defs.resolve_job_def("history_backfill").asset_layer.executable_asset_keys
                        if k.path[0] == HISTORY_PREFIX and k.path[1] in ("servicenow", "harvest")]
        again = execute_job(defs, "history_backfill", instance=instance, selection=history_only,
                            tags={"dagster/asset_partition_range_start": start.isoformat(),
                                  "dagster/asset_partition_range_end": (end - timedelta(days=1)).isoformat()})
        assert again.success, again.error
        assert fingerprint(backfilled, RAW_FACTS) == before
        assert len(harvest.requests) == seen["harvest"] and len(servicenow.requests) == seen["servicenow"]

        # -- 4. the incremental path over the same days: a first pull on day 20, then nightly pulls
        # as the source's clock moves, then the refresh job (pull + dbt) on the last day. (It starts
        # after the org's last Harvest deletion: deletes are seen only by `full` reads, which
        # neither path makes.)
        monkeypatch.setenv("ITOPS_WAREHOUSE", str(incremental))
        first_day = datetime.combine(start + timedelta(days=20), datetime.min.time(), tzinfo=UTC)
        incremental_pulls(store, [first_day + timedelta(days=i) for i in range((end - first_day.date()).days)])
        store.set_clock(datetime.combine(end, datetime.min.time(), tzinfo=UTC))
        refresh = run_refresh(defs, instance=instance)
        assert refresh.success, refresh.error

        # `itops status` material: both backfill runs and the refresh, with what they did.
        status = collect(instance, backfilled, sorted(defs.resolve_asset_graph().asset_check_keys))
        jobs = [(r.job, r.status) for r in status.runs]
        assert ("history_backfill", "FAILURE") in jobs and ("history_backfill", "SUCCESS") in jobs
        assert any(r.note == f"backfill {start} .. {end - timedelta(days=1)}" for r in status.runs)
        assert {s.source for s in status.sources} == {"servicenow", "harvest"}
        assert ("harvest", "time_entries", "backfill") in {(s.source, s.stream, s.last_mode) for s in status.streams}

    tables = mart_tables(incremental)
    assert {"marts.fct_tickets", "marts.fct_time_entries", "marts.kpi_metrics"} <= set(tables)
    diff = differences(backfilled, incremental, tables)
    differing = {t: d for t, d in diff.items() if d[0] or d[1]}
    assert differing == {}, {t: sample_differences(backfilled, incremental, t) for t in differing}
    assert diff["marts.fct_time_entries"][2] > 0 and diff["marts.kpi_metrics"][2] > 0
    # The raw facts agree too, record for record (their load metadata differs, of course).
    assert raw_records(backfilled) == raw_records(incremental)


def raw_records(db: Path) -> dict[str, set]:
    con = connect(db, read_only=True)
    try:
        return {t: set(con.execute(f"select id, updated_at, record::varchar, _is_deleted from {t}").fetchall())
                for t in RAW_FACTS}
    finally:
        con.close()


class _Recorder(logging.Handler):
    def __init__(self, lines: list) -> None:
        super().__init__()
        self.lines = lines

    def emit(self, record) -> None:
        if getattr(record, "itops_backfill", None):
            self.lines.append(record.getMessage())


def test_backfill_range_is_checked_with_actionable_messages(monkeypatch) -> None:
    monkeypatch.setenv("ITOPS_START_DATE", "2026-01-01")
    today = datetime.now(UTC).date()
    check_range(date(2026, 1, 1), date(2026, 2, 1))
    with pytest.raises(BackfillRangeError, match="exclusive"):
        check_range(date(2026, 2, 1), date(2026, 2, 1))
    with pytest.raises(BackfillRangeError, match="ITOPS_START_DATE=2025-12-01"):
        check_range(date(2025, 12, 1), date(2026, 1, 5))
    with pytest.raises(BackfillRangeError, match="only complete days"):
        check_range(date(2026, 1, 1), today + timedelta(days=1))


def test_cli_backfill_refuses_unconfigured_sources(capsys) -> None:
    assert itops(["backfill", "--start", "2026-01-01", "--end", "2026-01-02"]) == 2
    assert "not configured" in capsys.readouterr().err
    assert itops(["backfill", "--start", "2026-01-01", "--end", "2026-01-02", "--source", "nope"]) == 2
    assert "unknown source" in capsys.readouterr().err


def test_progress_bar_lines_count_windows_rows_rate_and_eta(tmp_path) -> None:
    out = (tmp_path / "progress.txt").open("w+")
    bar = ProgressBar(4, stream=out, every=0.0)
    for rows, skipped, elapsed in [(0, True, 0.01), (120, False, 1.0), (80, False, 2.0), (0, True, 2.01)]:
        bar.handle(_record(rows, skipped, elapsed))
    bar.close()
    out.seek(0)
    last = out.read().strip().splitlines()[-1]
    assert last.endswith("4/4 windows (100%), 200 rows, 100 rows/s, ETA 0s"), last


def _record(rows: int, skipped: bool, elapsed: float) -> logging.LogRecord:
    record = logging.LogRecord("itops.backfill.progress", logging.DEBUG, __file__, 0, "window", (), None)
    record.itops_backfill = {"source": "s", "stream": "t", "rows": rows, "skipped": skipped, "elapsed": elapsed}
    return record


def test_cli_status_lists_runs_failing_checks_freshness_and_rows(fakes, capsys) -> None:
    """Harvest's time entries come back empty: after the stream checks ran, `itops status`
    shows the run, the volume warning, the source's freshness and the rows per stream."""
    from pipelines.project import dagster_home

    dagster_home()
    fakes.apis["harvest"].faults.add(Fault(
        "rewrite", path="/v2/time_entries$", times=1000,
        transform=lambda body: b'{"time_entries":[],"per_page":2000,"total_pages":1,"total_entries":0,'
                               b'"next_page":null,"previous_page":null,"page":1,"links":{"first":null,'
                               b'"next":null,"previous":null,"last":null}}'))
    connector = build("harvest")
    with open_writer() as con:
        for spec in connector.streams():
            run_stream(con, connector, spec.name)
    defs = build_definitions()
    checks = {key for key in defs.resolve_asset_graph().asset_check_keys if key.asset_key.path[0] == "raw_harvest"}
    job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=set(), asset_check_selection=checks)
    with dg.DagsterInstance.get() as instance:
        assert job.execute_in_process(instance=instance).success
    assert itops(["status"]) == 0
    out = capsys.readouterr().out
    assert "__ASSET_JOB" in out and "SUCCESS" in out
    failing = out.split("Failing checks")[1].split("Data freshness")[0]
    assert "WARN" in failing and "raw_harvest/time_entries" in failing and "volume" in failing
    assert "holds no rows" in failing
    freshness = out.split("Data freshness per source")[1].split("Rows per stream")[0]
    assert "harvest" in freshness and "servicenow" in freshness  # both configured
    rows = out.split("Rows per stream")[1]
    assert "harvest/users" in rows and "harvest/time_entries" in rows
    with dg.DagsterInstance.get() as instance:
        status = collect(instance, Path(os.environ["ITOPS_WAREHOUSE"]), sorted(checks))
    assert {s.stream: s.live_rows for s in status.streams}["time_entries"] == 0
    assert {s.stream: s.live_rows for s in status.streams}["users"] > 0
    assert [c.check for c in status.failing_checks] == ["volume"]


def test_cli_status_without_runs_or_warehouse(capsys) -> None:
    assert itops(["status"]) == 0
    out = capsys.readouterr().out
    assert "no runs recorded" in out and "no warehouse at" in out

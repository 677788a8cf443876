"""``itops status``: what ran, what it loaded, what is failing and how fresh each source is.

Runs and check results come from the Dagster instance (``DAGSTER_HOME``); rows, loads
and data freshness from the warehouse's ``raw_meta`` tables, opened read-only (when a
run is writing the file, the warehouse part says so instead of waiting).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from connectors.core.errors import WarehouseLockedError
from connectors.core.warehouse import connect
from connectors.registry import CONNECTORS, enabled_sources
from pipelines.defs.history import BACKFILL_END_TAG, BACKFILL_START_TAG
from pipelines.defs.schedules import SCHEDULED_DAY_TAG


@dataclass
class RunRow:
    run_id: str
    job: str
    status: str
    started: datetime | None
    seconds: float | None
    note: str = ""


@dataclass
class StreamRow:
    source: str
    stream: str
    live_rows: int
    last_load: datetime | None
    last_mode: str | None
    last_status: str | None
    last_rows: int | None
    newest_record: datetime | None
    quarantined: int


@dataclass
class SourceRow:
    source: str
    enabled: bool
    last_success: datetime | None
    newest_record: datetime | None

    @property
    def age_hours(self) -> float | None:
        if self.last_success is None:
            return None
        return (datetime.now(UTC) - self.last_success).total_seconds() / 3600


@dataclass
class CheckRow:
    asset: str
    check: str
    severity: str
    description: str
    at: datetime | None
    run_id: str


@dataclass
class Status:
    runs: list[RunRow] = field(default_factory=list)
    streams: list[StreamRow] = field(default_factory=list)
    sources: list[SourceRow] = field(default_factory=list)
    failing_checks: list[CheckRow] = field(default_factory=list)
    warehouse_note: str | None = None


# -- from the Dagster instance --------------------------------------------------------------------


def _stamp(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def recent_runs(instance: dg.DagsterInstance, limit: int = 10) -> list[RunRow]:
    rows = []
    for record in instance.get_run_records(limit=limit):
        run = record.dagster_run
        tags = run.tags
        note = ""
        if tags.get(SCHEDULED_DAY_TAG):
            note = f"scheduled day {tags[SCHEDULED_DAY_TAG]}"
        elif tags.get(BACKFILL_START_TAG):
            note = f"backfill {tags[BACKFILL_START_TAG]} .. {tags.get(BACKFILL_END_TAG, '?')}"
        end = record.end_time or (datetime.now(UTC).timestamp() if record.start_time else None)
        seconds = end - record.start_time if record.start_time and end else None
        rows.append(RunRow(run.run_id, run.job_name, run.status.value, _stamp(record.start_time), seconds, note))
    return rows


def failing_checks(instance: dg.DagsterInstance, check_keys: list[dg.AssetCheckKey]) -> list[CheckRow]:
    """Checks whose latest completed evaluation failed (warnings included, marked so)."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys)
    rows = []
    for key, record in latest.items():
        if record.status != AssetCheckExecutionRecordStatus.FAILED or record.event is None:
            continue
        evaluation = record.event.dagster_event.event_specific_data
        rows.append(CheckRow(key.asset_key.to_user_string(), key.name, evaluation.severity.value,
                             (evaluation.description or "").splitlines()[0] if evaluation.description else "",
                             _stamp(record.create_timestamp), record.run_id))
    return sorted(rows, key=lambda r: (r.severity != "ERROR", r.asset, r.check))


# -- from the warehouse ---------------------------------------------------------------------------


def warehouse_figures(con: duckdb.DuckDBPyConnection) -> tuple[list[StreamRow], list[SourceRow]]:
    tables = {(schema, name) for schema, name in con.execute(
        "select table_schema, table_name from information_schema.tables").fetchall()}
    last_loads = {(source, stream): rest for source, stream, *rest in con.execute(
        """select source, stream, finished_at, mode, status, rows_loaded from raw_meta.load_runs
           qualify row_number() over (partition by source, stream order by started_at desc) = 1""").fetchall()}
    successes = dict(((source, stream), at) for source, stream, at in con.execute(
        """select source, stream, max(finished_at) from raw_meta.load_runs
           where status = 'succeeded' and mode in ('incremental', 'full') group by 1, 2""").fetchall())
    quarantined = {(source, stream): n for source, stream, n in con.execute(
        "select source, stream, count(*) from raw_meta.quarantine group by 1, 2").fetchall()}
    streams, sources = [], []
    enabled = set(enabled_sources())
    for source, cls in CONNECTORS.items():
        source_success: list[datetime] = []
        source_newest: list[datetime] = []
        for spec in cls.stream_specs():
            held, newest = 0, None
            if (spec.schema, spec.name) in tables:
                held, newest = con.execute(
                    f"select count(*) filter (where not _is_deleted), max(updated_at) from {spec.table}"
                ).fetchall()[0]
            last = last_loads.get((source, spec.name), [None, None, None, None])
            if held or last[0]:
                streams.append(StreamRow(source, spec.name, held, last[0], last[1], last[2], last[3], newest,
                                         quarantined.get((source, spec.name), 0)))
            if successes.get((source, spec.name)):
                source_success.append(successes[(source, spec.name)])
            if newest is not None and not spec.is_reference:
                source_newest.append(newest)
        if source in enabled or source_success:
            # A source is as fresh as its stalest stream.
            sources.append(SourceRow(source, source in enabled, min(source_success) if source_success else None,
                                     min(source_newest) if source_newest else None))
    return streams, sources


def collect(instance: dg.DagsterInstance | None, db_path: Path, check_keys: list[dg.AssetCheckKey] | None = None,
            runs: int = 10) -> Status:
    status = Status()
    if instance is not None:
        status.runs = recent_runs(instance, runs)
        if check_keys:
            status.failing_checks = failing_checks(instance, check_keys)
    if not db_path.exists():
        status.warehouse_note = f"no warehouse at {db_path} yet (run `itops refresh` or `itops backfill`)"
        return status
    try:
        con = connect(db_path, read_only=True)
    except WarehouseLockedError:
        status.warehouse_note = f"{db_path} is being written by a run right now; rows and freshness are unavailable"
        return status
    try:
        status.streams, status.sources = warehouse_figures(con)
    except duckdb.CatalogException:
        status.warehouse_note = f"{db_path} has no load history yet"
    finally:
        con.close()
    return status


# -- formatting ------------------------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], right: set[int] = frozenset()) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    def fmt(row):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
    return [fmt(header), fmt(tuple("-" * w for w in widths)), *(fmt(r) for r in rows)]


def format_status(status: Status) -> str:
    out = ["Recent runs (UTC)", ""]
    if status.runs:
        out += _table(("Started", "Job", "Status", "Duration", "Run", "Note"),
                      [(_when(r.started), r.job, r.status, _duration(r.seconds), r.run_id[:8], r.note)
                       for r in status.runs], right={3})
    else:
        out.append("no runs recorded in this Dagster instance yet")
    out += ["", "Failing checks", ""]
    if status.failing_checks:
        out += _table(("Severity", "Asset", "Check", "Since", "What"),
                      [(c.severity, c.asset, c.check, _when(c.at), c.description[:100]) for c in status.failing_checks])
    else:
        out.append("none")
    out += ["", "Data freshness per source (UTC)", ""]
    if status.warehouse_note:
        out.append(status.warehouse_note)
    else:
        out += _table(("Source", "Enabled", "Last good load", "Age", "Newest record"),
                      [(s.source, "yes" if s.enabled else "no", _when(s.last_success),
                        "-" if s.age_hours is None else f"{s.age_hours:,.1f}h", _when(s.newest_record))
                       for s in status.sources], right={3})
        out += ["", "Rows per stream", ""]
        out += _table(("Stream", "Rows", "Last load", "Mode", "Status", "Rows loaded", "Quarantined"),
                      [(f"{r.source}/{r.stream}", f"{r.live_rows:,}", _when(r.last_load), r.last_mode or "-",
                        r.last_status or "-", "-" if r.last_rows is None else f"{r.last_rows:,}",
                        f"{r.quarantined:,}") for r in status.streams], right={1, 5, 6})
    return "\n".join(out)


def status_json(status: Status) -> str:
    def default(value):
        return value.isoformat() if isinstance(value, datetime) else str(value)

    data = asdict(status)
    for source, row in zip(data["sources"], status.sources, strict=True):
        source["age_hours"] = row.age_hours
    return json.dumps(data, default=default, indent=2)

"""History backfills: daily-partitioned assets that load fact streams window by window.

Two paths write the same raw tables, and each keeps its own bookkeeping:

* the **incremental** path (``raw_<source>/<stream>``, unpartitioned, nightly): reads
  everything modified since the stream's cursor and moves the cursor with the data;
* the **history** path (``history/<source>/<stream>``, one partition per UTC day from
  ``ITOPS_START_DATE``): reads one day window at a time on the stream's modification
  stamp (or event date where the API only windows that way, e.g. Harvest's
  ``spent_date``) and never touches the cursor. Each window's completion row is written
  in the same transaction as its last rows (``raw_meta.backfill_windows``), so a window
  already loaded is skipped and an interrupted backfill resumes where it stopped.

Both upsert by primary key and never replace a newer version with an older one, so
they may run in any order, and a backfill can overlap the nightly: the per-source pool
keeps them from calling one API at once, and the warehouse writer lock is taken per
window, so a nightly run waits seconds, not for the whole backfill.

Reference streams (users, groups, projects) have no history: they are read whole by
the incremental path, which the backfill job runs first.
"""


import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg

from connectors.core.base import Connector, daily_windows, run_stream
from connectors.core.config import start_date
from connectors.core.errors import AuthError, ConfigError
from connectors.core.landing import StreamSpec
from connectors.core.progress import format_eta
from connectors.core.warehouse import open_writer
from connectors.registry import CONNECTORS
from pipelines.defs.resources import WarehouseResource

HISTORY_PREFIX = "history"
BACKFILL_START_TAG = "dagster/asset_partition_range_start"
BACKFILL_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"

log = logging.getLogger("itops.backfill")
#: per-window progress records; the ``itops backfill`` progress bar listens to this logger
progress_log = logging.getLogger("itops.backfill.progress")
progress_log.propagate = False

Window = tuple[datetime, datetime]


def history_key(source: str, stream: str) -> dg.AssetKey:
    return dg.AssetKey([HISTORY_PREFIX, source, stream])


def history_group(source: str) -> str:
    return f"{HISTORY_PREFIX}_{source}"


def fact_streams(connector_cls: type[Connector]) -> list[StreamSpec]:
    """The streams that have a history to backfill (facts with a stamp or event date)."""
    return [spec for spec in connector_cls.stream_specs() if not spec.is_reference]


def history_partitions() -> dg.DailyPartitionsDefinition:
    """One partition per UTC day from ``ITOPS_START_DATE`` to yesterday.

    UTC, not the reporting zone: windows are a loading device over UTC modification
    stamps, and UTC days are all 24 hours long. Today is not a partition: a window is
    recorded as complete once read, and today is not over (the nightly covers it).
    """
    return dg.DailyPartitionsDefinition(start_date=start_date().isoformat(), timezone="UTC", end_offset=0)


def window_from_tags(tags: dict[str, str]) -> tuple[date, date] | None:
    """The backfill window of a run, ``[start, end)`` in days, from Dagster's partition tags."""
    first = tags.get(BACKFILL_START_TAG) or tags.get(PARTITION_TAG)
    last = tags.get(BACKFILL_END_TAG) or tags.get(PARTITION_TAG)
    if not first or not last:
        return None
    return date.fromisoformat(first), date.fromisoformat(last) + timedelta(days=1)


# -- which windows are still to load ------------------------------------------------------------


def day_windows(start: date, end: date) -> list[Window]:
    """UTC day windows covering ``[start, end)``."""
    return daily_windows(_midnight(start), _midnight(end))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def pending_windows(done: Iterable[Window], windows: list[Window]) -> list[Window]:
    """The windows not covered by a completed one (a loaded window may be wider than a day,
    e.g. one read with ``python -m connectors load --mode backfill``)."""
    spans = sorted(done)
    pending = []
    for start, end in windows:
        if not any(s <= start and end <= e for s, e in spans):
            pending.append((start, end))
    return pending


def completed(db_path: Path, source: str) -> dict[str, list[Window]]:
    """Completed backfill windows per stream of a source (waits for the writer lock: a
    DuckDB file open read-write elsewhere cannot be read)."""
    with open_writer(db_path) as con:
        rows = con.execute(
            "select stream, window_start, window_end from raw_meta.backfill_windows where source = ?", [source]
        ).fetchall()
    found: dict[str, list[Window]] = {}
    for stream, start, end in rows:
        found.setdefault(stream, []).append((start, end))
    return found


# -- progress -------------------------------------------------------------------------------------


@dataclass
class WindowsProgress:
    """Counts windows and rows of one source's backfill and reports them.

    Every finished window is a record on ``itops.backfill.progress`` (the CLI draws its
    bar from those); every ``every`` seconds a summary line goes to the Dagster run log.
    """

    source: str
    total: int
    context: dg.AssetExecutionContext | None = None
    every: float = 15.0
    done: int = 0
    skipped: int = 0
    rows: int = 0

    def __post_init__(self) -> None:
        self._started = time.monotonic()
        self._last = self._started

    def window(self, stream: str, window: Window, rows: int, *, skipped: bool = False) -> None:
        self.done += 1
        self.skipped += int(skipped)
        self.rows += rows
        progress_log.debug(
            f"{self.source}/{stream} [{window[0]:%Y-%m-%d}]: {'already loaded' if skipped else f'{rows:,} rows'}",
            extra={"itops_backfill": {"source": self.source, "stream": stream, "rows": rows, "skipped": skipped,
                                      "elapsed": time.monotonic() - self._started}},
        )
        now = time.monotonic()
        if self.context is not None and now - self._last >= self.every:
            self._last = now
            self.context.log.info(self.line())

    def line(self) -> str:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        loaded = self.done - self.skipped
        per_window = elapsed / loaded if loaded else None
        eta = format_eta(per_window * (self.total - self.done)) if per_window else "?"
        return (f"{self.source}: {self.done:,}/{self.total:,} windows ({self.skipped:,} already loaded), "
                f"{self.rows:,} rows, {self.rows / elapsed:,.0f} rows/s, ETA {eta}")


# -- assets ---------------------------------------------------------------------------------------


class HistoryConfig(dg.Config):
    """``redo``: read windows again even if they were loaded (rows are upserted; a newer
    version already held is never replaced)."""

    redo: bool = False


def build_history_assets(source: str, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition | None:
    connector_cls = CONNECTORS[source]
    streams = fact_streams(connector_cls)
    if not streams:
        return None
    specs = [
        dg.AssetSpec(
            key=history_key(source, spec.name),
            description=f"History of {spec.schema}.{spec.name}, loaded one UTC day window at a time. "
                        f"{spec.description}",
            group_name=history_group(source),
            kinds={"python", "duckdb"},
            metadata={"table": dg.MetadataValue.text(f"{spec.schema}.{spec.name}")},
        )
        for spec in streams
    ]

    @dg.multi_asset(
        name=f"{source}_history",
        specs=specs,
        can_subset=True,
        partitions_def=partitions,
        # A range of days is one run that walks its windows in order (not one run per day).
        backfill_policy=dg.BackfillPolicy.single_run(),
        # The same pool as the source's incremental asset: one caller per API at a time.
        pool=f"source_{source}",
        retry_policy=dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL),
    )
    def _history(context: dg.AssetExecutionContext, config: HistoryConfig, warehouse: WarehouseResource):
        if not connector_cls.enabled():
            raise dg.Failure(f"{source}: not configured (credentials not set); cannot backfill it",
                             allow_retries=False)
        try:
            connector = connector_cls.from_env()
        except ConfigError as exc:
            raise dg.Failure(str(exc), allow_retries=False) from exc
        db_path = warehouse.db_path()
        span = context.partition_time_window
        windows = day_windows(span.start.date(), span.end.date())
        selected = [spec for spec in streams if history_key(source, spec.name) in context.selected_asset_keys]
        done = completed(db_path, source)
        todo = {spec.name: (windows if config.redo else pending_windows(done.get(spec.name, []), windows))
                for spec in selected}
        progress = WindowsProgress(source, total=len(windows) * len(selected), context=context)
        context.log.info(
            f"{source}: backfilling {len(selected)} stream(s) over {len(windows)} day(s) "
            f"[{span.start:%Y-%m-%d} .. {span.end:%Y-%m-%d}); "
            f"{sum(len(w) for w in todo.values()):,} window(s) to load"
        )
        for spec in selected:
            stream_rows, loaded = 0, 0
            pending = set(todo[spec.name])
            for window in windows:
                if window not in pending:
                    progress.window(spec.name, window, 0, skipped=True)
                    continue
                try:
                    # The writer lock is held per window: other writers (the nightly) can
                    # get in between windows.
                    with open_writer(db_path) as con:
                        result = run_stream(con, connector, spec.name, mode="backfill", start=window[0],
                                            end=window[1])
                except (AuthError, ConfigError) as exc:
                    raise dg.Failure(str(exc), allow_retries=False) from exc
                stream_rows += result.rows
                loaded += 1
                progress.window(spec.name, window, result.rows)
            yield dg.MaterializeResult(
                asset_key=history_key(source, spec.name),
                metadata={
                    "rows": dg.MetadataValue.int(stream_rows),
                    "windows_loaded": dg.MetadataValue.int(loaded),
                    "windows_already_loaded": dg.MetadataValue.int(len(windows) - loaded),
                    "window_start": dg.MetadataValue.text(f"{span.start:%Y-%m-%d}"),
                    "window_end": dg.MetadataValue.text(f"{span.end:%Y-%m-%d}"),
                },
            )
        context.log.info(progress.line())

    return _history


def history_assets(partitions: dg.PartitionsDefinition | None = None) -> list[dg.AssetsDefinition]:
    partitions = partitions or history_partitions()
    built = (build_history_assets(source, partitions) for source in CONNECTORS)
    return [assets for assets in built if assets is not None]

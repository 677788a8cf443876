"""``itops backfill``: load the history of a range of days in one run, with a progress bar.

The run is the ``history_backfill`` job over the partition range ``[start, end)`` (Dagster's
range tags; the history assets' backfill policy is single-run, so the UI's backfills do
the same). Windows already loaded are skipped, so rerunning an interrupted backfill
resumes it, and backfilling a loaded range changes nothing.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from connectors.core.config import start_date, warehouse_path
from connectors.core.progress import format_eta
from connectors.registry import CONNECTORS
from pipelines.defs.connectors import RAW_PREFIX
from pipelines.defs.history import (
    BACKFILL_END_TAG,
    BACKFILL_START_TAG,
    HISTORY_PREFIX,
    completed,
    day_windows,
    fact_streams,
    pending_windows,
    progress_log,
)
from pipelines.defs.jobs import HISTORY_BACKFILL
from pipelines.runner import RefreshOutcome, execute_job

log = logging.getLogger("itops.backfill")


class BackfillRangeError(ValueError):
    """The requested range cannot be backfilled (says why and what to do)."""


def check_range(start: date, end: date) -> None:
    first, today = start_date(), datetime.now(UTC).date()
    if end <= start:
        raise BackfillRangeError(f"--end ({end}) must be after --start ({start}); the end day is exclusive")
    if start < first:
        raise BackfillRangeError(f"--start {start} is before ITOPS_START_DATE ({first}); "
                                 f"set ITOPS_START_DATE={start} to backfill further back")
    if end > today:
        raise BackfillRangeError(f"--end {end} is after today ({today}, UTC): only complete days are backfilled "
                                 f"(the nightly refresh covers today); use --end {today} or earlier")


@dataclass
class Plan:
    windows: int
    already_loaded: int
    streams: list[str]

    @property
    def to_load(self) -> int:
        return self.windows - self.already_loaded


def plan(sources: list[str], start: date, end: date, *, redo: bool = False) -> Plan:
    windows = day_windows(start, end)
    total, loaded, streams = 0, 0, []
    for source in sources:
        done = {} if redo else completed(warehouse_path(), source)
        for spec in fact_streams(CONNECTORS[source]):
            streams.append(f"{source}/{spec.name}")
            total += len(windows)
            loaded += len(windows) - len(pending_windows(done.get(spec.name, []), windows))
    return Plan(total, loaded, streams)


class ProgressBar(logging.Handler):
    """Draws the backfill's progress from the history assets' per-window records: a tqdm
    bar on a terminal (windows done, rows, rows/s, ETA), a line every ``every`` seconds otherwise."""

    def __init__(self, total: int, *, stream=None, every: float = 10.0) -> None:
        super().__init__(logging.DEBUG)
        # The process's real stderr: Dagster captures sys.stdout/sys.stderr of running steps.
        self.stream = stream or sys.__stderr__
        self.total, self.done, self.loaded, self.rows = total, 0, 0, 0
        self.every = every
        # Time spent on windows, per source (each source's step reports its own): loading
        # definitions and reference streams first would make rates and ETAs meaningless.
        self._elapsed: dict[str, float] = {}
        self._last = 0.0
        self.bar = None
        if getattr(self.stream, "isatty", lambda: False)():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="window", file=self.stream, dynamic_ncols=True, smoothing=0.1,
                            desc="backfill")

    def emit(self, record: logging.LogRecord) -> None:
        info = getattr(record, "itops_backfill", None)
        if info is None:
            return
        self._elapsed[info["source"]] = info.get("elapsed", 0.0)
        self.done += 1
        self.rows += info["rows"]
        self.loaded += 0 if info["skipped"] else 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.rows:,} rows, {self.rate():,.0f} rows/s", refresh=False)
            self.bar.update(1)
            return
        now = time.monotonic()
        if now - self._last >= self.every or self.done == self.total:
            self._last = now
            self.stream.write(f"{time.strftime('%H:%M:%S')} {self.line()}\n")
            self.stream.flush()

    def elapsed(self) -> float:
        return max(sum(self._elapsed.values()), 1e-9)

    def rate(self) -> float:
        return self.rows / self.elapsed() if self.loaded else 0.0

    def line(self) -> str:
        per_window = self.elapsed() / self.loaded if self.loaded else None
        eta = format_eta(per_window * (self.total - self.done)) if per_window else "?"
        share = self.done / self.total if self.total else 1.0
        filled = int(share * 20)
        return (f"backfill [{'#' * filled}{'.' * (20 - filled)}] {self.done:,}/{self.total:,} windows "
                f"({share:.0%}), {self.rows:,} rows, {self.rate():,.0f} rows/s, ETA {eta}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        super().close()


def backfill_selection(defs: dg.Definitions, sources: list[str]) -> list[dg.AssetKey]:
    """The job's assets for these sources: their history and reference streams, and every
    asset that is neither a stream nor a history (dbt models, publishing)."""
    job = defs.resolve_job_def(HISTORY_BACKFILL)
    chosen_raw = {f"{RAW_PREFIX}{s}" for s in sources}
    keys = []
    for key in job.asset_layer.executable_asset_keys:
        if key.path[0] == HISTORY_PREFIX:
            if key.path[1] in sources:
                keys.append(key)
        elif key.path[0].startswith(RAW_PREFIX):
            if key.path[0] in chosen_raw:
                keys.append(key)
        else:
            keys.append(key)
    return keys


def run_backfill(
    defs: dg.Definitions, *, start: date, end: date, sources: list[str], instance: dg.DagsterInstance,
    redo: bool = False, progress: ProgressBar | None = None,
) -> RefreshOutcome:
    """Run the history backfill of ``sources`` over ``[start, end)`` in this process."""
    check_range(start, end)
    tags = {BACKFILL_START_TAG: start.isoformat(), BACKFILL_END_TAG: (end - timedelta(days=1)).isoformat()}
    run_config = {"ops": {f"{source}_history": {"config": {"redo": redo}} for source in sources}}
    if progress is not None:
        progress_log.addHandler(progress)
        progress_log.setLevel(logging.DEBUG)
    try:
        return execute_job(defs, HISTORY_BACKFILL, instance=instance, selection=backfill_selection(defs, sources),
                           tags=tags, run_config=run_config)
    finally:
        if progress is not None:
            progress_log.removeHandler(progress)
            progress.close()

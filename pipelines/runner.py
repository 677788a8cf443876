"""Running the refresh job in-process (no daemon), with readable progress and one-line errors."""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import time
from dataclasses import dataclass

import dagster as dg

from connectors.core.config import redact

log = logging.getLogger("itops.refresh")

QUIET_DAGSTER = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class ConsoleHandler(logging.Handler):
    """Writes to the process's real stdout, looked up at each record: dbt's echo is
    redirected away from sys.stdout during runs, and test harnesses swap sys.stdout."""

    _itops_console = True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.__stdout__
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


class ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        prefix = "WARNING " if record.levelno >= logging.WARNING else ""
        return f"{stamp} {prefix}{redact(record.getMessage())}"


def configure_console_logging(verbose: bool = False) -> None:
    """Progress lines from our loggers on stdout; Dagster's own event log stays quiet."""
    root = logging.getLogger("itops")
    if any(getattr(h, "_itops_console", False) for h in root.handlers):
        return
    handler = ConsoleHandler()
    handler.setFormatter(ConsoleFormatter())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False


class _LinesToLog(io.TextIOBase):
    """A stdout stand-in that turns dbt's raw console lines into debug log records
    (dagster-dbt echoes every dbt line to stdout; our own progress lines are enough)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self._buffer = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            if line.strip():
                self.logger.debug(line)
        return len(text)


@dataclass
class RefreshOutcome:
    success: bool
    run_id: str
    seconds: float
    error: str | None = None
    failed_step: str | None = None


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return text.strip()


def run_refresh(
    defs: dg.Definitions, *, sources: list[str] | None = None, instance: dg.DagsterInstance | None = None,
    tags: dict[str, str] | None = None,
) -> RefreshOutcome:
    """Execute the ``full_refresh`` job in this process and summarise the outcome."""
    from pipelines.defs.jobs import FULL_REFRESH

    job = defs.resolve_job_def(FULL_REFRESH)
    selection = None
    if sources:
        # The chosen sources' streams, and every dbt model (they always rebuild).
        chosen = {f"raw_{s}" for s in sources}
        selection = [key for key in job.asset_layer.executable_asset_keys
                     if not key.path[0].startswith("raw_") or key.path[0] in chosen]
    started = time.monotonic()
    with contextlib.redirect_stdout(_LinesToLog(logging.getLogger("itops.dbt.console"))):
        result = job.execute_in_process(
            instance=instance or dg.DagsterInstance.get(),
            run_config=QUIET_DAGSTER,
            raise_on_error=False,
            asset_selection=selection,
            tags=tags,
        )
    elapsed = time.monotonic() - started
    if result.success:
        return RefreshOutcome(True, result.run_id, elapsed)
    step, message = None, "the run failed"
    for event in result.all_events:
        # A step that exhausted its retries fails with "Exceeded max_retries"; the error
        # worth showing is the one its last attempt raised.
        data = event.step_failure_data if event.is_step_failure else (
            event.event_specific_data if event.is_step_up_for_retry else None)
        error = getattr(data, "error", None)
        if error is None:
            continue
        # Dagster wraps our error in its own; ours carries the actionable message
        # (its own causes, e.g. a requests error, are less telling).
        while error.cause is not None and error.cls_name.startswith("Dagster"):
            error = error.cause
        if "Exceeded max_retries" in error.message and step == event.step_key:
            break
        step, message = event.step_key, first_line(error.message)
        if event.is_step_failure:
            break
    return RefreshOutcome(False, result.run_id, elapsed, redact(message), step)

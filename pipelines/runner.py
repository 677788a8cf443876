"""Running the refresh job in-process (no daemon), with readable progress and one-line errors."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import socket
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg

from connectors.core.config import redact

log = logging.getLogger("itops.refresh")

HOST_TAG = "itops/host"
PID_TAG = "itops/pid"

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


def failure_summary(events: Iterable[dg.DagsterEvent]) -> tuple[str | None, str]:
    """(failed step, the first line of the error worth showing) from a run's step events."""
    step, message = None, "the run failed"
    for event in events:
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
        step, message = event.step_key, first_line(_without_class(error.message, error.cls_name))
        if event.is_step_failure:
            break
    return step, redact(message)


def _without_class(message: str, cls_name: str) -> str:
    """``pkg.module.Failure: the message`` -> ``the message`` (the class is noise to a reader)."""
    found = re.match(r"[\w.]*\b" + re.escape(cls_name) + r": ", message)
    return message[found.end():] if found else message


def process_tags() -> dict[str, str]:
    """Tags naming the process that runs a job in-process, so that a run whose process
    died (kill -9, a reboot) can be told apart from one still running."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark in-process runs of this host whose process is gone as failed, and free their
    pool slots: a run killed mid-step would otherwise hold its pool forever, and every
    later run would wait for it."""
    from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter

    host, reaped = socket.gethostname(), []
    runs = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING],
                                                tags={HOST_TAG: host}))
    for run in runs:
        pid = run.tags.get(PID_TAG)
        if not pid or not pid.isdigit() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, f"the process running it ({pid}) is gone (killed or crashed)")
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped.append(run.run_id)
    if reaped:
        log.warning(f"marked {len(reaped)} run(s) of dead processes as failed: {', '.join(reaped)}")
    return reaped


def execute_job(
    defs: dg.Definitions, job_name: str, *, instance: dg.DagsterInstance, selection: list[dg.AssetKey] | None = None,
    tags: dict[str, str] | None = None, run_config: dict | None = None,
) -> RefreshOutcome:
    """Execute a job of the definitions in this process and summarise the outcome."""
    job = defs.resolve_job_def(job_name)
    if instance.event_log_storage.supports_global_concurrency_limits:
        reap_orphaned_runs(instance)
    started = time.monotonic()
    with contextlib.redirect_stdout(_LinesToLog(logging.getLogger("itops.dbt.console"))):
        result = job.execute_in_process(
            instance=instance,
            run_config={**QUIET_DAGSTER, **(run_config or {})},
            raise_on_error=False,
            asset_selection=selection,
            tags={**process_tags(), **(tags or {})},
        )
    elapsed = time.monotonic() - started
    if result.success:
        return RefreshOutcome(True, result.run_id, elapsed)
    step, message = failure_summary(result.all_events)
    return RefreshOutcome(False, result.run_id, elapsed, message, step)


def run_refresh(
    defs: dg.Definitions, *, sources: list[str] | None = None, instance: dg.DagsterInstance | None = None,
    tags: dict[str, str] | None = None,
) -> RefreshOutcome:
    """Execute the ``full_refresh`` job in this process and summarise the outcome."""
    from pipelines.defs.jobs import FULL_REFRESH

    selection = None
    if sources:
        # The chosen sources' streams, and every dbt model (they always rebuild).
        job = defs.resolve_job_def(FULL_REFRESH)
        chosen = {f"raw_{s}" for s in sources}
        selection = [key for key in job.asset_layer.executable_asset_keys
                     if not key.path[0].startswith("raw_") or key.path[0] in chosen]
    return execute_job(defs, FULL_REFRESH, instance=instance or dg.DagsterInstance.get(), selection=selection,
                       tags=tags)

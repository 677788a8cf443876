"""Opening the DuckDB warehouse: one writer at a time, readers elsewhere.

DuckDB locks its file for a single process while that process has it open
read-write: a second writer, a dbt subprocess or a BI reader all fail at once
with "Could not set lock on file". So every writer here

* takes an advisory ``fcntl`` lock on ``<warehouse>.writer.lock`` first, and waits
  for it (with a deadline) instead of failing on DuckDB's lock, and
* holds the DuckDB connection only as long as it writes, so that the next step
  (dbt, publishing) can open the file.

BI tools and the report never open this file; they read the published copy.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from connectors.core.config import LoadSettings, warehouse_path
from connectors.core.errors import WarehouseLockedError

META_DDL = """
create schema if not exists raw_meta;
create table if not exists raw_meta.stream_state (
    source varchar not null,
    stream varchar not null,
    cursor json,
    updated_at timestamptz not null,
    primary key (source, stream)
);
create table if not exists raw_meta.load_runs (
    batch_id varchar primary key,
    source varchar not null,
    stream varchar not null,
    mode varchar not null,
    window_start timestamptz,
    window_end timestamptz,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,
    rows_loaded bigint,
    rows_quarantined bigint,
    rows_deleted bigint,
    pages bigint,
    requests bigint,
    retries bigint,
    error varchar
);
create table if not exists raw_meta.backfill_windows (
    source varchar not null,
    stream varchar not null,
    window_start timestamptz not null,
    window_end timestamptz not null,
    batch_id varchar not null,
    rows_loaded bigint not null,
    completed_at timestamptz not null,
    primary key (source, stream, window_start, window_end)
);
create table if not exists raw_meta.quarantine (
    source varchar not null,
    stream varchar not null,
    batch_id varchar not null,
    reason varchar not null,
    record varchar,
    quarantined_at timestamptz not null
);
"""


def _lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".writer.lock")


# Re-entrant within a process: a refresh job holds the lock around connectors, dbt
# and publishing, and each connector asks for it again (flock on a second file
# description of the same file would block against ourselves).
_held: dict[Path, int] = {}


@contextlib.contextmanager
def writer_lock(db_path: Path | None = None, timeout: float | None = None) -> Iterator[None]:
    """Serialise writers across processes; waits up to ``timeout`` seconds (env ``ITOPS_LOCK_TIMEOUT``)."""
    db_path = (db_path or warehouse_path()).resolve()
    if _held.get(db_path):
        _held[db_path] += 1
        try:
            yield
        finally:
            _held[db_path] -= 1
        return
    db_path.parent.mkdir(parents=True, exist_ok=True)
    timeout = float(os.environ.get("ITOPS_LOCK_TIMEOUT", "3600")) if timeout is None else timeout
    deadline = time.monotonic() + timeout
    with open(_lock_path(db_path), "a+") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseLockedError(
                        f"another itops process has been writing {db_path} for over {timeout:.0f}s",
                        hint="wait for the running refresh/backfill to finish (itops status), "
                        "or raise ITOPS_LOCK_TIMEOUT",
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        _held[db_path] = 1
        try:
            yield
        finally:
            _held.pop(db_path, None)
            fcntl.flock(handle, fcntl.LOCK_UN)


def connect(
    db_path: Path | None = None, *, read_only: bool = False, settings: LoadSettings | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, turning DuckDB's lock failure into an actionable error."""
    db_path = db_path or warehouse_path()
    settings = settings or LoadSettings.from_env()
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(
            str(db_path),
            read_only=read_only,
            config={"memory_limit": settings.duckdb_memory_limit, "threads": settings.duckdb_threads},
        )
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseLockedError(
                f"{db_path} is open read-write in another process",
                hint="only one writer may hold the working warehouse; BI tools and reports must read "
                "the published copy (published/itops.duckdb), not the working file",
            ) from exc
        raise
    # Every TIMESTAMPTZ we hand out is UTC, whatever the host's zone.
    con.execute("set TimeZone = 'UTC'")
    if not read_only:
        con.execute(META_DDL)
    return con


@contextlib.contextmanager
def open_writer(
    db_path: Path | None = None, settings: LoadSettings | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The single-writer connection: advisory lock, then DuckDB, both released on exit."""
    db_path = db_path or warehouse_path()
    with writer_lock(db_path):
        con = connect(db_path, settings=settings)
        try:
            yield con
        finally:
            con.close()

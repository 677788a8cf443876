"""Landing pages of source records in DuckDB raw tables, exactly once.

A page body goes straight from the HTTP response into DuckDB (bound as one
string parameter and parsed there), never through per-record Python code. Rows
are staged in a temporary table; a *flush* moves them into the raw table and
writes the stream's cursor **in the same transaction**, so a crash at any
instant leaves either the old data and the old cursor, or the new data and the
new cursor. Re-reading is always safe: rows are upserted by primary key, and an
older version never overwrites a newer one.

Raw tables (``raw_<source>.<stream>``) keep the complete source record as JSON,
plus the extracted primary key, modification stamp and load metadata: ``_loaded_at`` and
``_batch_id`` name the load that last wrote the row, a deletion flag included, so that
``_loaded_at`` alone tells what changed since a given moment.
Records that cannot be trusted (no primary key, unparseable timestamp, missing
required field) go to ``raw_meta.quarantine`` with a reason; the load goes on.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from connectors.core.errors import ConnectorError, Window
from connectors.core.http import MalformedBody

log = logging.getLogger("itops.load")


@dataclass(frozen=True)
class StreamSpec:
    """How one source stream lands in DuckDB.

    SQL expressions are evaluated over ``rec``, the record as a DuckDB JSON value.

    Attributes:
        source: source name, also the raw schema suffix (``raw_<source>``).
        name: stream name, also the raw table name.
        records_path: JSON path of the record array in a page envelope (``$.result``).
        primary_key: SQL giving the record's id as text.
        updated_at: SQL giving the modification stamp as TIMESTAMPTZ (NULL if unparseable),
            or None for streams without one (reference lists loaded whole).
        updated_raw: SQL giving the raw stamp text, so an unparseable one is quarantined.
        required: top-level fields that must be present and non-empty.
        columns: extra extracted columns, name -> (SQL expression, DuckDB type).
        description: one line for docs and Dagster: grain and provenance.
        is_reference: reference data (users, groups, services) is read in full on the
            first pull, whatever ITOPS_START_DATE says; facts start at ITOPS_START_DATE.
    """

    source: str
    name: str
    records_path: str
    primary_key: str
    updated_at: str | None = None
    updated_raw: str | None = None
    required: tuple[str, ...] = ()
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    description: str = ""
    is_reference: bool = False

    @property
    def schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def table(self) -> str:
        return f'{self.schema}."{self.name}"'


@dataclass
class LoadResult:
    source: str
    stream: str
    mode: str
    batch_id: str
    rows: int = 0
    quarantined: int = 0
    deleted: int = 0
    pages: int = 0
    commits: int = 0
    seconds: float = 0.0
    requests: int = 0
    retries: int = 0
    cursor: dict | None = None

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def ensure_raw_table(con: duckdb.DuckDBPyConnection, spec: StreamSpec) -> None:
    extra = "".join(f',\n    "{name}" {typ}' for name, (_, typ) in spec.columns.items())
    con.execute(f"create schema if not exists {spec.schema}")
    con.execute(
        f"""
        create table if not exists {spec.table} (
            id varchar not null,
            updated_at timestamptz,
            record json not null{extra},
            _is_deleted boolean not null default false,
            _deleted_at timestamptz,
            _loaded_at timestamptz not null,
            _batch_id varchar not null
        )"""
    )


#: ``rec->>'a'`` or ``rec->'a'->'b'->>'c'``: a text field of the record at a plain path
_FIELD_REF = re.compile(r"\brec((?:->'\w+')*)->>'(\w+)'")


def _extract_once(sql: str) -> tuple[str, list[str]]:
    """Rewrite the record's text fields in ``sql`` as items of ``_f``, one list extraction.

    Returns the rewritten SQL and the JSON paths ``_f`` must hold, in order."""
    paths: list[str] = []

    def item(match: re.Match) -> str:
        path = "$." + ".".join([*re.findall(r"'(\w+)'", match.group(1)), match.group(2)])
        if path not in paths:
            paths.append(path)
        return f"_f[{paths.index(path) + 1}]"

    return _FIELD_REF.sub(item, sql), paths


def _reject_sql(spec: StreamSpec) -> str:
    checks = [
        "when _type <> 'OBJECT' then 'record is not a JSON object'",
        f"when nullif({spec.primary_key}, '') is null then 'missing primary key'",
    ]
    if spec.updated_at is not None and spec.updated_raw is not None:
        checks.append(
            f"when nullif({spec.updated_raw}, '') is null then 'missing modification timestamp'"
        )
        checks.append(
            f"when ({spec.updated_at}) is null then 'unparseable timestamp: ' || ({spec.updated_raw})"
        )
    for name in spec.required:
        checks.append(
            f"when nullif(rec->>'{name}', '') is null then 'missing required field {name}'"
        )
    return "case " + " ".join(checks) + " end"


class Landing:
    """Stages pages and commits them with their cursor; one instance per stream read.

    Modes:
        ``incremental``: commits move ``raw_meta.stream_state`` for the stream.
        ``backfill``: the cursor is never touched; the final commit records the
            window in ``raw_meta.backfill_windows`` so an interrupted backfill resumes.
        ``full``: a complete re-read; like incremental, plus rows not seen are
            flagged deleted at the end (id reconciliation for APIs without tombstones).
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: StreamSpec,
        *,
        mode: str = "incremental",
        window: Window | None = None,
        flush_rows: int = 50_000,
        progress=None,
        reconcile_where: str | None = None,
    ) -> None:
        if mode not in ("incremental", "backfill", "full"):
            raise ValueError(f"unknown load mode {mode!r}")
        self.con = con
        self.spec = spec
        self.mode = mode
        self.window = window
        self.flush_rows = flush_rows
        self.progress = progress
        # In "full" mode, only rows matching this SQL predicate were in the read's
        # scope (e.g. a spent_date window), so only they can be judged deleted.
        self.reconcile_where = reconcile_where or "true"
        self.batch_id = f"{spec.source}.{spec.name}.{datetime.now(UTC):%Y%m%dT%H%M%S}.{uuid.uuid4().hex[:8]}"
        self.result = LoadResult(spec.source, spec.name, mode, self.batch_id)
        self._stage = f"_stage_{spec.source}_{spec.name}".replace("-", "_")
        self._deletes = f"_del_{spec.source}_{spec.name}".replace("-", "_")
        self._staged = 0
        self._pending_deletes = 0
        self._page_last_key: tuple[datetime | None, str] | None = None
        self.max_seen_updated_at: datetime | None = None
        self._pending_cursor: dict | None = None
        self._cursor_dirty = False
        self._started = time.monotonic()
        self._seen_ids = f"_seen_{spec.source}_{spec.name}".replace("-", "_")
        ensure_raw_table(con, spec)
        extra_cols = "".join(f', "{n}" {t}' for n, (_, t) in spec.columns.items())
        con.execute(
            f"create or replace temp table {self._stage} (id varchar, updated_at timestamptz, "
            f"record json{extra_cols}, _page bigint, _ord bigint, _reject varchar)"
        )
        con.execute(f"create or replace temp table {self._deletes} (id varchar, deleted_at timestamptz)")
        if mode == "full":
            con.execute(f"create or replace temp table {self._seen_ids} (id varchar)")
        self._stage_sql: dict[str, str] = {}
        self._worker: _Worker | None = None
        self._register_run()

    # -- staging ---------------------------------------------------------------------------------

    def _build_stage_sql(self, path: str) -> str:
        spec = self.spec
        updated = spec.updated_at or "null::timestamptz"
        extras = "".join(f", {expr}" for expr, _ in spec.columns.values())
        projection, fields = _extract_once(
            f"{spec.primary_key}, {updated}, rec{extras}, $page, ord, {_reject_sql(spec)}"
        )
        # Every field the spec reads comes out of one parse of the record (`_f`), not one
        # parse per expression: 5,000 incidents stage in 45 ms instead of 74 ms.
        extract = f", json_extract_string(rec, [{', '.join(repr(f) for f in fields)}]) as _f" if fields else ""
        if "*" in path:
            # A wildcard path (records nested in each element) gathers a list first.
            records = """select rec, ord, json_type(rec) as _type
                         from (select unnest(recs) as rec, generate_subscripts(recs, 1) as ord
                               from (select from_json(json($body)->$path, '["json"]') as recs))"""
        else:
            # json_each parses the body once and hands out each record's text: 4x cheaper than
            # extracting the array and splitting it (a page of 5,000 incidents: 27 ms vs 110 ms).
            records = "select value as rec, cast(key as bigint) as ord, type as _type from json_each($body, $path)"
        return f"""
            insert into {self._stage}
            select {projection}
            from (select *{extract} from ({records}))
        """

    def page(self, body: bytes | str, *, records_path: str | None = None) -> int:
        """Stage one page body; returns the number of records it held.

        Raises :class:`MalformedBody` when DuckDB cannot parse the body, so the
        HTTP layer can re-fetch it (call this from ``SourceHTTP.get(validate=...)``).
        """
        self._wait()
        return self._stage_page(body, records_path)

    def submit(self, body: bytes | str, *, records_path: str | None = None) -> None:
        """Stage one page on the :meth:`background` worker (now, when there is none).

        The body must already be known to parse: a malformed one surfaces here only as a
        failed load, no longer as a re-fetch (validate before submitting)."""
        if self._worker is None:
            self._stage_page(body, records_path)
        else:
            self._worker.submit(lambda: self._stage_validated(body, records_path))

    def _stage_validated(self, body: bytes | str, records_path: str | None) -> None:
        try:
            self._stage_page(body, records_path)
        except MalformedBody as exc:
            # Not re-raised as MalformedBody: it would surface inside the *next* page's
            # validation and make the HTTP layer re-fetch that page instead of this one.
            raise ConnectorError(
                f"page {self.result.pages + 1} passed validation but DuckDB could not stage it ({exc})",
                source=self.spec.source, stream=self.spec.name, window=self.window,
                hint="rerun the load (committed pages and the cursor are consistent); if it recurs, "
                "report the page as a connector bug",
            ) from exc

    def _stage_page(self, body: bytes | str, records_path: str | None) -> int:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        page_no = self.result.pages + 1
        before = self._staged
        path = records_path or self.spec.records_path
        if path not in self._stage_sql:
            self._stage_sql[path] = self._build_stage_sql(path)
        try:
            self.con.execute(self._stage_sql[path], {"body": text, "path": path, "page": page_no})
        except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
            raise MalformedBody(str(exc)[:300]) from exc
        count, good, top_at, top_id = self.con.execute(
            f"""select count(*), count(*) filter (where _reject is null),
                       arg_max(updated_at, (updated_at, id)) filter (where _reject is null),
                       arg_max(id, (updated_at, id)) filter (where _reject is null)
                from {self._stage} where _page = ?""",
            [page_no],
        ).fetchone()
        self._page_last_key = (top_at, top_id) if good else None
        if top_at is not None and (self.max_seen_updated_at is None or top_at > self.max_seen_updated_at):
            self.max_seen_updated_at = top_at
        self._staged = before + count
        self.result.pages = page_no
        if self.progress is not None:
            self.progress.page(self, count)
        if self._staged >= self.flush_rows:
            self.flush()
        return count

    def last_key(self) -> tuple[datetime | None, str] | None:
        """The greatest (updated_at, id) of the latest page's good rows, for keyset paging."""
        self._wait()
        return self._page_last_key

    def max_updated_at(self) -> datetime | None:
        """The newest modification stamp seen so far in this read (all pages, flushed or not)."""
        self._wait()
        return self.max_seen_updated_at

    def deleted(self, ids: Iterable[str], deleted_at: datetime | None = None) -> None:
        """Flag records as deleted at the next commit (tombstones from the source)."""
        ids = [str(i) for i in ids]
        if ids:
            self._in_order(lambda: self._stage_deletes(ids, deleted_at or datetime.now(UTC)))

    def _stage_deletes(self, ids: list[str], deleted_at: datetime) -> None:
        self.con.execute(
            f"insert into {self._deletes} select unnest($ids::varchar[]), $at::timestamptz",
            {"ids": ids, "at": deleted_at},
        )
        self._pending_deletes += len(ids)

    def checkpoint(self, cursor: dict) -> None:
        """Declare that everything staged so far is covered by ``cursor``.

        The cursor is written with the next commit, never before its data (with a
        :meth:`background` worker, it queues behind the pages submitted before it).
        """
        self._in_order(lambda: self._set_cursor(cursor))

    def _set_cursor(self, cursor: dict) -> None:
        self._pending_cursor = cursor
        self._cursor_dirty = True

    # -- background staging ----------------------------------------------------------------------

    @contextmanager
    def background(self, depth: int = 2) -> Iterator[None]:
        """Stage and commit pages on a worker thread while the caller fetches the next ones.

        DuckDB releases the GIL while it parses and writes, so a page's landing overlaps
        the next HTTP round trip instead of following it. Inside the block, :meth:`submit`,
        :meth:`checkpoint` and :meth:`deleted` queue in call order on the worker (a cursor
        still commits with exactly the pages before it); every other method waits for the
        queue to drain first, so the connection is only ever used by one thread at a time.
        At most ``depth`` pages wait in the queue (memory stays bounded). Leaving the block
        drains the queue and re-raises a worker failure.
        """
        if self._worker is not None:
            raise RuntimeError("a background worker is already running for this landing")
        worker = _Worker(depth, name=f"landing-{self.spec.source}-{self.spec.name}")
        self._worker = worker
        try:
            yield
        except BaseException:
            self._worker = None
            worker.stop(raise_error=False)
            raise
        self._worker = None
        worker.stop(raise_error=True)

    def _in_order(self, task: Callable[[], None]) -> None:
        if self._worker is None:
            task()
        else:
            self._worker.submit(task)

    def _wait(self) -> None:
        if self._worker is not None and not self._worker.is_current():
            self._worker.join()

    # -- committing ------------------------------------------------------------------------------

    def flush(self, *, closing: list[tuple[str, list]] | None = None) -> None:
        """Commit staged rows, quarantined rows, deletions and the latest cursor atomically.

        ``closing`` statements run last inside the same transaction (a backfill's
        completion row, a full read's reconciliation of deletes).
        """
        self._wait()
        if not (self._staged or self._pending_deletes or self._cursor_dirty or closing):
            return
        spec, con, now = self.spec, self.con, datetime.now(UTC)
        cols = ", ".join(f'"{n}"' for n in spec.columns)
        cols = f", {cols}" if cols else ""
        con.execute("begin transaction")
        try:
            (quarantined,) = con.execute(
                f"select count(*) from {self._stage} where _reject is not null"
            ).fetchone()
            con.execute(
                f"""insert into raw_meta.quarantine
                    select ?, ?, ?, _reject, record::varchar, ? from {self._stage} where _reject is not null""",
                [spec.source, spec.name, self.batch_id, now],
            )
            # One row per id in the batch, with the stamp of the version that will land (the
            # newest; max() ignores NULLs as the ordering below puts them last). Only keys are
            # copied: the records go from the stage table to the raw table once.
            con.execute(
                f"""create or replace temp table _batch as
                    select id, max(updated_at) as updated_at, count(*) as versions
                    from {self._stage} where _reject is null group by id"""
            )
            # Replace what we hold unless we hold something newer (a late page of an
            # older read must never roll a record back).
            con.execute(
                f"""delete from {spec.table} t using _batch b
                    where t.id = b.id
                      and (t.updated_at is null or b.updated_at is null or t.updated_at <= b.updated_at)"""
            )
            (rows, repeated) = con.execute(
                "select count(*), count(*) filter (where versions > 1) from _batch"
            ).fetchone()
            # Latest version per id within the batch: newest stamp, then the last one read
            # (the ranking, which sorts whole records, only when an id came more than once).
            latest = (
                "qualify row_number() over (partition by id "
                "order by updated_at desc nulls last, _page desc, _ord desc) = 1"
                if repeated else ""
            )
            con.execute(
                f"""insert into {spec.table} (id, updated_at, record{cols}, _is_deleted, _deleted_at,
                                              _loaded_at, _batch_id)
                    select id, updated_at, record{cols}, false, null, ?, ?
                    from {self._stage} s
                    where _reject is null and not exists (select 1 from {spec.table} t where t.id = s.id)
                    {latest}""",
                [now, self.batch_id],
            )
            if self.mode == "full":
                con.execute(f"insert into {self._seen_ids} select id from _batch")
            deleted = 0
            if self._pending_deletes:
                (deleted,) = con.execute(
                    f"""select count(*) from {spec.table} t
                        where not t._is_deleted and t.id in (select id from {self._deletes})"""
                ).fetchone()
                # _loaded_at moves with the flag: the row changed now, and incremental staging
                # models pick up what was loaded (or flagged) since their last build.
                con.execute(
                    f"""update {spec.table} t set _is_deleted = true, _deleted_at = d.deleted_at,
                               _loaded_at = ?, _batch_id = ?
                        from (select id, max(deleted_at) as deleted_at from {self._deletes} group by id) d
                        where t.id = d.id and not t._is_deleted""",
                    [now, self.batch_id],
                )
            if self._cursor_dirty and self.mode in ("incremental", "full"):
                con.execute(
                    """insert or replace into raw_meta.stream_state (source, stream, cursor, updated_at)
                       values (?, ?, ?, ?)""",
                    [spec.source, spec.name, json.dumps(self._pending_cursor, default=str), now],
                )
            for sql, params in closing or []:
                con.execute(sql, params)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        con.execute(f"delete from {self._stage}")
        con.execute(f"delete from {self._deletes}")
        con.execute("drop table if exists _batch")
        self.result.rows += rows
        self.result.quarantined += quarantined
        self.result.deleted += deleted
        self.result.commits += 1
        if self._cursor_dirty:
            self.result.cursor = self._pending_cursor
        self._staged = 0
        self._pending_deletes = 0
        self._cursor_dirty = False
        if quarantined:
            log.warning(
                "%s/%s: %d record(s) quarantined (see raw_meta.quarantine, batch %s)",
                spec.source, spec.name, quarantined, self.batch_id,
            )

    def finish(self, *, stats=None) -> LoadResult:
        """Final commit. For backfills, records the window as done in the same transaction."""
        self._wait()
        if self.mode == "backfill":
            self._finish_backfill()
        elif self.mode == "full":
            self._finish_full()
        else:
            self.flush()
        self.result.seconds = time.monotonic() - self._started
        self._close_run("succeeded", stats=stats)
        for table in (self._stage, self._deletes, self._seen_ids):
            self.con.execute(f"drop table if exists {table}")
        return self.result

    def _finish_backfill(self) -> None:
        # The window's completion row commits with the window's last rows, so a
        # resumed backfill skips exactly the windows whose data is in.
        window = self.window or Window(None, None)
        self.flush(
            closing=[(
                """insert or replace into raw_meta.backfill_windows
                   values (?, ?, ?, ?, ?, ? + coalesce((select count(*) from _batch), 0), ?)""",
                [self.spec.source, self.spec.name, window.start, window.end, self.batch_id,
                 self.result.rows, datetime.now(UTC)],
            )]
        )

    def _finish_full(self) -> None:
        # Anything live that a complete re-read did not return was deleted at the
        # source; flagged in the same transaction as the read's last rows.
        marked_at = datetime.now(UTC)
        self.flush(
            closing=[(
                f"""update {self.spec.table} set _is_deleted = true, _deleted_at = ?, _loaded_at = ?,
                           _batch_id = ?
                    where not _is_deleted and ({self.reconcile_where})
                      and id not in (select id from {self._seen_ids})""",
                [marked_at, marked_at, self.batch_id],
            )]
        )
        (gone,) = self.con.execute(
            f"select count(*) from {self.spec.table} where _is_deleted and _deleted_at = ?", [marked_at]
        ).fetchone()
        self.result.deleted += gone

    def fail(self, error: BaseException) -> None:
        """Record a failed read; committed batches stay (they are correct), the cursor stays."""
        self.result.seconds = time.monotonic() - self._started
        from connectors.core.config import redact

        self._close_run("failed", error=redact(str(error))[:2000])
        for table in (self._stage, self._deletes, self._seen_ids):
            self.con.execute(f"drop table if exists {table}")

    # -- bookkeeping -----------------------------------------------------------------------------

    def _register_run(self) -> None:
        window = self.window or Window(None, None)
        self.con.execute(
            """insert into raw_meta.load_runs (batch_id, source, stream, mode, window_start, window_end,
                                               started_at, status)
               values (?, ?, ?, ?, ?, ?, ?, 'running')""",
            [self.batch_id, self.spec.source, self.spec.name, self.mode, window.start, window.end,
             datetime.now(UTC)],
        )

    def _close_run(self, status: str, *, error: str | None = None, stats=None) -> None:
        r = self.result
        self.con.execute(
            """update raw_meta.load_runs
               set finished_at = ?, status = ?, rows_loaded = ?, rows_quarantined = ?, rows_deleted = ?,
                   pages = ?, requests = ?, retries = ?, error = ?
               where batch_id = ?""",
            [datetime.now(UTC), status, r.rows, r.quarantined, r.deleted, r.pages,
             getattr(stats, "requests", None), getattr(stats, "retries", None), error, self.batch_id],
        )


class _Worker:
    """One thread running queued tasks in order; the first failure skips the rest and is
    re-raised to the submitting thread."""

    def __init__(self, depth: int, *, name: str) -> None:
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            task = self._queue.get()
            try:
                if task is None:
                    return
                if self._error is None:
                    task()
            except BaseException as exc:  # handed to the submitting thread
                self._error = exc
            finally:
                self._queue.task_done()

    def is_current(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, task: Callable[[], None]) -> None:
        self._raise()
        self._queue.put(task)

    def join(self) -> None:
        self._queue.join()
        self._raise()

    def stop(self, *, raise_error: bool) -> None:
        self._queue.put(None)
        self._thread.join()
        if raise_error:
            self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


def get_cursor(con: duckdb.DuckDBPyConnection, source: str, stream: str) -> dict | None:
    row = con.execute(
        "select cursor from raw_meta.stream_state where source = ? and stream = ?", [source, stream]
    ).fetchone()
    return json.loads(row[0]) if row and row[0] is not None else None


def completed_windows(con: duckdb.DuckDBPyConnection, source: str, stream: str) -> set[tuple[datetime, datetime]]:
    rows = con.execute(
        "select window_start, window_end from raw_meta.backfill_windows where source = ? and stream = ?",
        [source, stream],
    ).fetchall()
    return {(a, b) for a, b in rows}

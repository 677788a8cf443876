"""The connector contract and the loop that runs one stream read into the warehouse.

A connector knows its API (auth, paging, cursors); :func:`run_stream` knows the
warehouse (landing, cursor bookkeeping, progress, failure records). Connectors
never open the warehouse themselves.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import duckdb

from connectors.core.config import LoadSettings, start_date
from connectors.core.errors import ConnectorError, Window
from connectors.core.http import SourceHTTP
from connectors.core.landing import Landing, LoadResult, StreamSpec, get_cursor
from connectors.core.progress import StreamProgress

log = logging.getLogger("itops.connectors")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ReadRequest:
    """What one read of a stream must cover.

    ``start``/``end`` bound the read on the stream's modification stamp (or event
    date for sources that only window by event date), end exclusive. For an
    incremental read ``cursor`` is the committed state and ``start`` already
    includes the overlap window.
    """

    mode: str
    start: datetime
    end: datetime
    cursor: dict | None = None

    @property
    def window(self) -> Window:
        return Window(_fmt(self.start), _fmt(self.end))


def _fmt(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


class Connector(ABC):
    """One source system. Subclasses declare ``source``, their streams and how to read them."""

    source: ClassVar[str]
    #: env vars that must all be set for the source to be enabled
    required_env: ClassVar[tuple[str, ...]] = ()

    def __init__(self, http: SourceHTTP, settings: LoadSettings | None = None) -> None:
        self.http = http
        self.settings = settings or LoadSettings.from_env()

    @classmethod
    @abstractmethod
    def from_env(cls) -> Connector:
        """Build from environment variables (raises ConfigError when incomplete)."""

    @classmethod
    def enabled(cls) -> bool:
        import os

        return all(os.environ.get(name) for name in cls.required_env)

    #: every stream this connector lands, in load order (reference data first)
    STREAMS: ClassVar[list[StreamSpec]] = []

    @classmethod
    def stream_specs(cls) -> list[StreamSpec]:
        """The streams, known without credentials (for Dagster asset specs and docs)."""
        return list(cls.STREAMS)

    def streams(self) -> list[StreamSpec]:
        return self.stream_specs()

    def stream(self, name: str) -> StreamSpec:
        for spec in self.streams():
            if spec.name == name:
                return spec
        raise ConnectorError(f"unknown stream {name!r}", source=self.source,
                             hint="choose one of: " + ", ".join(s.name for s in self.streams()))

    @abstractmethod
    def read(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        """Fetch every page the request covers, staging each in ``landing`` and
        declaring cursors with ``landing.checkpoint`` once the pages they cover are staged."""

    def incremental_start(self, spec: StreamSpec, cursor: dict | None) -> datetime:
        """Where an incremental read starts: the committed cursor minus the overlap."""
        if cursor and cursor.get("updated_at"):
            moment = datetime.fromisoformat(str(cursor["updated_at"]))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment - self.settings.overlap
        if spec.is_reference:
            return EPOCH
        return datetime.combine(start_date(), datetime.min.time(), tzinfo=UTC)

    def reconcile_where(self, spec: StreamSpec, request: ReadRequest) -> str | None:
        """For full reads: the SQL scope within which unseen rows count as deleted."""
        return None


def run_stream(
    con: duckdb.DuckDBPyConnection,
    connector: Connector,
    stream: str,
    *,
    mode: str = "incremental",
    start: datetime | None = None,
    end: datetime | None = None,
) -> LoadResult:
    """Read one stream into the warehouse; the cursor only moves for incremental/full reads."""
    spec = connector.stream(stream)
    now = datetime.now(UTC).replace(microsecond=0)
    cursor = get_cursor(con, spec.source, spec.name)
    if mode == "incremental":
        start = connector.incremental_start(spec, cursor)
        end = now
    elif mode == "full":
        start = start or datetime.combine(start_date(), datetime.min.time(), tzinfo=UTC)
        end = end or now
    elif start is None or end is None:
        raise ConnectorError("a backfill needs an explicit window", source=spec.source, stream=spec.name,
                             hint="pass --start and --end (YYYY-MM-DD)")
    request = ReadRequest(mode=mode, start=start, end=end, cursor=cursor)
    progress = StreamProgress(spec.source, spec.name,
                              label="" if mode == "incremental" else f" [{mode} {request.window}]")
    landing = Landing(
        con, spec, mode=mode, window=request.window, flush_rows=connector.settings.flush_rows,
        progress=progress,
        reconcile_where=connector.reconcile_where(spec, request) if mode == "full" else None,
    )
    before = (connector.http.stats.requests, connector.http.stats.retries)
    try:
        connector.read(spec, request, landing)
        stats = _delta(connector.http, before)
        result = landing.finish(stats=stats)
    except BaseException as exc:
        landing.fail(exc)
        raise
    log.info(progress.line(final=True) + (f", {result.quarantined} quarantined" if result.quarantined else ""))
    result.requests, result.retries = stats.requests, stats.retries
    return result


@dataclass
class _Stats:
    requests: int
    retries: int


def _delta(http: SourceHTTP, before: tuple[int, int]) -> _Stats:
    return _Stats(http.stats.requests - before[0], http.stats.retries - before[1])


def daily_windows(start: datetime, end: datetime, days: int = 1) -> list[tuple[datetime, datetime]]:
    """Split ``[start, end)`` into consecutive windows of ``days`` days (the last may be shorter)."""
    windows, cursor = [], start
    while cursor < end:
        nxt = min(cursor + timedelta(days=days), end)
        windows.append((cursor, nxt))
        cursor = nxt
    return windows

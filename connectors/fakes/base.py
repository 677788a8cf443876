"""Shared machinery of the fake source APIs: HTTP server, org store, clock, fault injection.

A fake serves the synthetic organisation *as of* its clock: every record is the
last version at or before the clock, so moving the clock forward replays a day
of new tickets, late edits, reopens and deletes, exactly as a real source would
show them to a nightly incremental pull.

Faults are injected per request path: 429 with Retry-After, 5xx bursts, slow
responses, dropped connections, truncated bodies, and data-level faults each
source interprets (short pages, duplicates across pages, clock moves between pages).
Servers bind 127.0.0.1 only and stop by themselves after ``max_lifetime`` seconds.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb

log = logging.getLogger("itops.fakes")


# -- org store ------------------------------------------------------------------------------------


class OrgStore:
    """Read-only access to an org store file, plus per-clock snapshots in memory.

    The store file is attached read-only into a private in-memory DuckDB, so any
    number of fakes (and processes) can serve the same file.
    """

    def __init__(self, path: Path, *, memory_limit: str | None = None) -> None:
        self.path = Path(path)
        self._db = duckdb.connect(":memory:", config={"threads": 2})
        self._db.execute("set TimeZone = 'UTC'")
        self._scratch: tempfile.TemporaryDirectory | None = None
        if memory_limit is not None:
            # Snapshots of a large org (every table rendered as of the clock) outgrow memory: with
            # a limit and a temp directory, DuckDB spills them to disk instead of taking it all.
            self._scratch = tempfile.TemporaryDirectory(prefix="itops-fake-", ignore_cleanup_errors=True)
            self._db.execute(f"set memory_limit = '{memory_limit}'")
            self._db.execute(f"set temp_directory = '{self._scratch.name}'")
        self._db.execute(f"attach '{self.path}' as org (read_only)")
        self._db.execute("use org")
        self._db.execute("create schema memory.snap")
        self._lock = threading.RLock()
        self._snapshots: dict[tuple[str, str], str] = {}
        self._cursors: dict[int, duckdb.DuckDBPyConnection] = {}
        row = self.query("select start_date, end_date, forecast_end_date, seed, profile from meta")[0]
        self.start_date, self.end_date, self.forecast_end_date, self.seed, self.profile = row
        self.clock = datetime.combine(self.end_date, datetime.min.time(), tzinfo=UTC)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (DuckDB connections must not be shared across threads).

        Cursors are kept by thread id, not in a threading.local, so that close() can
        drop every reference: a cursor still referenced at interpreter exit makes
        DuckDB's bindings report leaks."""
        ident = threading.get_ident()
        with self._lock:
            cur = self._cursors.get(ident)
            if cur is None:
                cur = self._db.cursor()
                cur.execute("set TimeZone = 'UTC'")
                cur.execute("use org")
                self._cursors[ident] = cur
        return cur

    def query(self, sql: str, params: list | dict | None = None) -> list[tuple]:
        return self.cursor().execute(sql, params or []).fetchall()

    def set_clock(self, moment: datetime) -> None:
        """Move the fake's 'now'; snapshots for the new clock are built on first use."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        with self._lock:
            self.clock = moment

    def advance(self, delta: timedelta) -> None:
        self.set_clock(self.clock + delta)

    def snapshot(self, name: str, build_sql: str, order_by: str | None = None) -> str:
        """Materialise ``build_sql`` (which may use ``$clock``) once per clock value; returns its table.

        ``order_by``: the table is stored in that order. A fake whose pages are read in that order
        (keyset or cursor paging) then has each page's bound skip the row groups before it,
        instead of scanning every row of a multi-million-row snapshot per page."""
        clock = self.clock
        key = (name, clock.isoformat())
        with self._lock:
            table = self._snapshots.get(key)
            if table is None:
                table = f"memory.snap.{name}_{len(self._snapshots)}"
                params = {"clock": clock} if "$clock" in build_sql else None
                ordered = f"select * from ({build_sql}) order by {order_by}" if order_by else build_sql
                self.cursor().execute(f"create table {table} as {ordered}", params)
                self._snapshots[key] = table
        return table

    def close(self) -> None:
        with self._lock:
            for cur in self._cursors.values():
                cur.close()
            self._cursors.clear()
        self._db.close()
        if self._scratch is not None:
            self._scratch.cleanup()

    def __enter__(self) -> OrgStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# -- faults -----------------------------------------------------------------------------------------


@dataclass
class Fault:
    """One injected fault. Fires on requests whose path matches ``path`` (a regex),
    skipping the first ``after`` matches and firing ``times`` times.

    kinds: ``status`` (answer ``status`` with ``headers`` and ``body``), ``slow`` (sleep
    ``delay`` then answer normally), ``drop`` (close the connection without a response),
    ``truncate`` (send the headers and half the body), ``rewrite`` (pass the body
    through ``transform``: corrupt a record, drop a field), ``advance_clock`` (move the
    store's clock by ``delta`` after answering: records updated between pages), and
    data-level kinds a source interprets (e.g. Zendesk's ``duplicate``).
    """

    kind: str
    path: str = ".*"
    times: int = 1
    after: int = 0
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    delay: float = 0.0
    delta: timedelta = timedelta(0)
    transform: Callable[[bytes], bytes] | None = None
    seen: int = 0
    fired: int = 0

    def matches(self, path: str) -> bool:
        return re.search(self.path, path) is not None


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, path: str, kinds: tuple[str, ...]) -> Fault | None:
        """The first fault of one of ``kinds`` due on this request (counts it as fired)."""
        with self._lock:
            for fault in self._faults:
                if fault.kind not in kinds or not fault.matches(path):
                    continue
                fault.seen += 1
                if fault.seen > fault.after and fault.fired < fault.times:
                    fault.fired += 1
                    return fault
        return None

    def retry_after(self, seconds: float, path: str = ".*", times: int = 1, after: int = 0,
                    status: int = 429, header: str = "Retry-After", body: bytes | None = None) -> Fault:
        return self.add(Fault("status", path=path, times=times, after=after, status=status,
                              headers={header: str(int(seconds)) if seconds == int(seconds) else str(seconds)},
                              body=body))


# -- HTTP -------------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw_query: str = ""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, []) + self.query.get(name + "[]", [])


@dataclass
class Response:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, separators=(",", ":")).encode()


@dataclass
class LoggedRequest:
    at: float
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    status: int


Route = tuple[str, re.Pattern[str], Callable[..., Response]]


class FakeAPI:
    """Base class of a fake source API running on 127.0.0.1 in a daemon thread.

    Subclasses set ``name``, register routes in :meth:`routes` and implement
    :meth:`authorize`. Use as a context manager, or ``start()``/``stop()``.
    """

    name = "fake"

    def __init__(self, store: OrgStore, *, port: int = 0, max_lifetime: float = 3600.0, page_scale: int = 1) -> None:
        self.store = store
        #: pages hold this many times what the client asked for (and the vendor's maximum): the
        #: benchmarks' bulk mode, which loads an enterprise-size org in minutes instead of hours.
        #: The connectors' own tests see the vendor's page sizes; tests/test_fakes_bulk.py shows
        #: that bulk pages land the same records.
        self.page_scale = page_scale
        self.faults = FaultPlan()
        self.requests: list[LoggedRequest] = []
        self._requests_lock = threading.Lock()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopper: threading.Timer | None = None
        self.max_lifetime = max_lifetime
        # Requests being answered right now: stop() waits for them, so the store is never
        # closed under a handler thread that is still querying it.
        self._inflight = 0
        self._inflight_cond = threading.Condition()
        self.stopping = False
        self._routes: list[Route] = [(m, re.compile(p + r"\Z"), h) for m, p, h in self.routes()]

    # -- to implement ---------------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Callable[..., Response]]]:
        raise NotImplementedError

    def authorize(self, request: Request) -> Response | None:
        """None when the request may proceed, else the source's own 401/403 response."""
        return None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "fake not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeAPI:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"fake-{self.name}", daemon=True)
        self._thread.start()
        # Never outlive a forgotten test: stop by ourselves.
        self._stopper = threading.Timer(self.max_lifetime, self.stop)
        self._stopper.daemon = True
        self._stopper.start()
        return self

    def stop(self) -> None:
        self.stopping = True
        if self._stopper is not None:
            self._stopper.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._inflight_cond:
            self._inflight_cond.wait_for(lambda: self._inflight == 0, timeout=30)

    def begin_request(self) -> bool:
        with self._inflight_cond:
            if self.stopping:
                return False
            self._inflight += 1
            return True

    def end_request(self) -> None:
        with self._inflight_cond:
            self._inflight -= 1
            self._inflight_cond.notify_all()

    def __enter__(self) -> FakeAPI:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- dispatch -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | str:
        """Route a request; returns a Response, or a transport-fault keyword."""
        fault = self.faults.take(request.path, ("status", "slow", "drop", "truncate"))
        if fault is not None:
            if fault.kind == "status":
                return Response(fault.status, fault.body if fault.body is not None else
                                self.error_body(fault.status), dict(fault.headers))
            if fault.kind == "drop":
                return "drop"
            if fault.kind == "slow":
                time.sleep(fault.delay)
            else:
                return ("truncate", self._dispatch(request))  # type: ignore[return-value]
        return self._dispatch(request)

    def _dispatch(self, request: Request) -> Response:
        denied = self.authorize(request)
        if denied is not None:
            return denied
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                response = handler(request, **match.groupdict())
                rewrite = self.faults.take(request.path, ("rewrite",))
                if rewrite is not None and rewrite.transform is not None:
                    response = Response(response.status, rewrite.transform(response.payload()), response.headers)
                clock_fault = self.faults.take(request.path, ("advance_clock",))
                if clock_fault is not None:
                    self.store.advance(clock_fault.delta)
                return response
        return Response(404, self.error_body(404))

    def error_body(self, status: int) -> dict:
        return {"error": {"message": f"HTTP {status}"}}

    def log(self, entry: LoggedRequest) -> None:
        with self._requests_lock:
            self.requests.append(entry)


def _make_handler(api: FakeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle's algorithm on, the
        # second waits ~40 ms for an ACK and every fake request gets that much slower.
        disable_nagle_algorithm = True
        server_version = f"fake-{api.name}"

        def log_message(self, *args: Any) -> None:  # quiet: tests read api.requests instead
            return

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            if not api.begin_request():
                self.close_connection = True
                return
            try:
                self._answer(method)
            finally:
                api.end_request()

        def _answer(self, method: str) -> None:
            parts = urlsplit(self.path)
            request = Request(method, parts.path, parse_qs(parts.query, keep_blank_values=True),
                              {k.lower(): v for k, v in self.headers.items()}, parts.query)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            try:
                outcome = api.handle(request)
            except Exception as exc:  # a bug in a fake must look like a 500, as a real API's would
                log.exception("fake %s failed on %s", api.name, self.path)
                outcome = Response(500, {"error": {"message": f"fake error: {exc}"}})
            if outcome == "drop":
                api.log(LoggedRequest(time.time(), method, parts.path, request.query, request.headers, 0))
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            truncate = isinstance(outcome, tuple)
            response: Response = outcome[1] if truncate else outcome  # type: ignore[index,assignment]
            payload = response.payload()
            api.log(LoggedRequest(time.time(), method, parts.path, request.query, request.headers, response.status))
            self.send_response(response.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))  # send_response() already sent Date
            self.end_headers()
            if truncate:
                self.wfile.write(payload[: max(len(payload) // 2, 1)])
                self.wfile.flush()
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(payload)

    return Handler


def used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Only the named parameters ``sql`` refers to (DuckDB rejects unused ones)."""
    return {k: v for k, v in params.items() if re.search(r"\$" + re.escape(k) + r"\b", sql)}


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else None

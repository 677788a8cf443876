"""Zendesk Support connector: tickets, metric sets, ticket status history, CSAT, groups, users, organizations.

Streams and how each is read (source-apis.md section 4):

- ``tickets``: the cursor-based incremental export (``/api/v2/incremental/tickets/cursor``).
  The first read sends ``start_time`` (ITOPS_START_DATE); every later page **and every
  later run** sends only ``cursor`` = the persisted ``after_cursor``, never a new
  ``start_time`` (re-sending ``start_time=now`` skips records). The after_cursor is
  committed with the rows of the page it follows, in one transaction. The export
  compares on ``generated_timestamp`` (bumped by system updates too), so that is the
  rows' modification stamp: a re-read can never roll a ticket back. Deleted tickets
  come back with status ``deleted``: they are landed (the raw record keeps them) and
  flagged ``_is_deleted``.
- ``ticket_metrics``: the same export with ``include=metric_sets``, landing the
  sideloaded ``metric_sets`` array (reply / resolution / wait times in business and
  calendar minutes, reopens, replies, stations), with its own after_cursor. A page that
  carries the metric set on each ticket (``tickets[].metric_set``) instead lands from there.
  ``/api/v2/ticket_metrics`` is not used: it is newest-first and omits archived tickets.
- ``ticket_events``: the time-based ticket event export (``/api/v2/incremental/ticket_events``),
  one audit per ticket update with its ``child_events`` (status, priority, group,
  assignee changes). Time-based pages may exceed ``per_page`` and repeat the rows of
  their last second on the next page; rows are landed by id, keeping the latest
  version, so page-boundary duplicates disappear. The cursor is the last page's ``end_time``.
- ``satisfaction_ratings``: ``/api/v2/satisfaction_ratings`` with cursor pagination,
  incremental on ``updated_at`` via ``start_time`` (minus the overlap). All scores are
  landed (``offered``/``unoffered`` included: response rates need them); only
  ``good``/``bad`` count as CSAT responses downstream.
- ``groups``, ``users``, ``organizations``: cursor-paginated lists read whole (offset
  pagination stops at 10,000 records).

Rate limits: the incremental export endpoints allow 10 requests per minute; every
export request first takes a slot in a sliding-window budget of
``ZENDESK_MAX_EXPORT_REQUESTS_PER_MINUTE`` (default 10), so the connector does not
trip the limit, and 429s (``Retry-After``) are waited out all the same. Other endpoints
share an optional account budget ``ZENDESK_MAX_REQUESTS_PER_MINUTE``.

Backfills (``--mode backfill --start --end``) read the export from ``start`` and stop
after the page that reaches ``end`` (the export has no end parameter, so the last
page may carry a few newer rows: they are the records' true latest versions); the
incremental cursor is never touched.

Environment: ``ZENDESK_BASE_URL`` (e.g. https://acme.zendesk.com), ``ZENDESK_EMAIL``,
``ZENDESK_API_TOKEN``; optional ``ZENDESK_EXPORT_PAGE_SIZE`` (1000),
``ZENDESK_PAGE_SIZE`` (100), ``ZENDESK_MAX_EXPORT_REQUESTS_PER_MINUTE`` (10),
``ZENDESK_MAX_REQUESTS_PER_MINUTE`` (unset: no account budget).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import requests

from connectors.core.base import Connector, ReadRequest
from connectors.core.config import env, env_secret, register_basic_auth, require
from connectors.core.errors import SourceAPIError
from connectors.core.http import MalformedBody, RequestBudget, SourceHTTP, check_json_object
from connectors.core.landing import Landing, StreamSpec

SOURCE = "zendesk"
EXPORT_TICKETS = "/api/v2/incremental/tickets/cursor"
EXPORT_TICKET_EVENTS = "/api/v2/incremental/ticket_events"
PER_TICKET_METRIC_SETS = "$.tickets[*].metric_set"
EXPORT_WINDOW_SECONDS = 61.0
ISO_UPDATED_AT = "try_strptime(rec->>'updated_at', '%Y-%m-%dT%H:%M:%SZ') at time zone 'UTC'"


def _epoch(field: str) -> str:
    # Epoch seconds as TIMESTAMPTZ; NULL (and so quarantined) when not an integer.
    return f"to_timestamp(try_cast(rec->>'{field}' as bigint))"


def _list_stream(name: str, description: str) -> StreamSpec:
    return StreamSpec(
        source=SOURCE,
        name=name,
        records_path=f"$.{name}",
        primary_key="rec->>'id'",
        updated_raw="rec->>'updated_at'",
        updated_at=ISO_UPDATED_AT,
        description=description,
        is_reference=True,
    )


STREAMS = [
    _list_stream("groups", "One row per Zendesk group (our teams), from /api/v2/groups."),
    _list_stream("organizations", "One row per Zendesk organization (requesters' business units)."),
    _list_stream("users", "One row per Zendesk user: agents and admins (IT staff) and end users (requesters)."),
    StreamSpec(
        source=SOURCE,
        name="tickets",
        records_path="$.tickets",
        primary_key="rec->>'id'",
        updated_raw="rec->>'generated_timestamp'",
        updated_at=_epoch("generated_timestamp"),
        required=("created_at", "status"),
        columns={"status": ("rec->>'status'", "varchar")},
        description="One row per Zendesk ticket (latest version by generated_timestamp), from the cursor-based "
        "incremental export; deleted tickets kept with status 'deleted' and flagged.",
    ),
    StreamSpec(
        source=SOURCE,
        name="ticket_metrics",
        records_path="$.metric_sets",
        primary_key="rec->>'id'",
        updated_raw="rec->>'updated_at'",
        updated_at=ISO_UPDATED_AT,
        required=("ticket_id",),
        columns={"ticket_id": ("rec->>'ticket_id'", "varchar")},
        description="One row per Zendesk ticket metric set (reply, resolution and wait times in calendar and "
        "business minutes; reopens, replies, stations), sideloaded on the incremental ticket export.",
    ),
    StreamSpec(
        source=SOURCE,
        name="ticket_events",
        records_path="$.ticket_events",
        primary_key="rec->>'id'",
        updated_raw="rec->>'timestamp'",
        updated_at=_epoch("timestamp"),
        required=("ticket_id",),
        columns={"ticket_id": ("rec->>'ticket_id'", "varchar")},
        description="One row per Zendesk ticket audit with its child events (status, priority, group and assignee "
        "changes), from the incremental ticket event export.",
    ),
    StreamSpec(
        source=SOURCE,
        name="satisfaction_ratings",
        records_path="$.satisfaction_ratings",
        primary_key="rec->>'id'",
        updated_raw="rec->>'updated_at'",
        updated_at=ISO_UPDATED_AT,
        required=("score",),
        columns={"score": ("rec->>'score'", "varchar")},
        description="One row per Zendesk satisfaction rating (offered, unoffered, good, bad); CSAT counts good/bad.",
    ),
]

EXPORT_STREAMS = {"tickets": None, "ticket_metrics": "metric_sets"}


class ZendeskBudget:
    """Request budgets per endpoint family, consulted by ``SourceHTTP`` before every attempt.

    The incremental exports have their own limit (10/min); other endpoints only the
    account's. ``with budget.exporting():`` marks the requests of an export read.
    """

    def __init__(self, export: RequestBudget, account: RequestBudget | None = None) -> None:
        self.export = export
        self.account = account
        self._state = threading.local()

    @contextlib.contextmanager
    def exporting(self) -> Iterator[None]:
        previous = getattr(self._state, "exporting", False)
        self._state.exporting = True
        try:
            yield
        finally:
            self._state.exporting = previous

    def acquire(self) -> None:
        if self.account is not None:
            self.account.acquire()
        if getattr(self._state, "exporting", False):
            self.export.acquire()


@dataclass(frozen=True)
class ExportPage:
    """The envelope fields of one export page, read by DuckDB (records are never parsed in Python)."""

    after_cursor: str | None
    end_of_stream: bool
    end_time: int | None
    last_stamp: int | None
    #: tickets the page reports deleted (status "deleted"), by their generated_timestamp
    deleted: dict[int | None, list[str]]
    #: the page has a top-level metric_sets array
    has_sideload: bool


class ZendeskConnector(Connector):
    source = SOURCE
    STREAMS = STREAMS
    required_env = ("ZENDESK_BASE_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN")

    def __init__(
        self,
        http: SourceHTTP,
        *,
        budget: ZendeskBudget | None = None,
        export_page_size: int = 1000,
        page_size: int = 100,
        **kwargs,
    ) -> None:
        super().__init__(http, **kwargs)
        self.budget = budget or ZendeskBudget(RequestBudget(10, EXPORT_WINDOW_SECONDS))
        self.http.budget = self.budget
        self.export_page_size = export_page_size
        self.page_size = page_size

    @classmethod
    def from_env(cls) -> ZendeskConnector:
        base = require("ZENDESK_BASE_URL", SOURCE, hint="e.g. https://acme.zendesk.com")
        email = require("ZENDESK_EMAIL", SOURCE, hint="the e-mail address of the agent who owns the API token")
        require("ZENDESK_API_TOKEN", SOURCE, hint="Admin Center > Apps and integrations > Zendesk API > API tokens")
        token = env_secret("ZENDESK_API_TOKEN")
        user = f"{email}/token"
        register_basic_auth(user, token)
        account = env("ZENDESK_MAX_REQUESTS_PER_MINUTE")
        budget = ZendeskBudget(
            # A 61 s window: requests reach Zendesk a little after they leave, and a request
            # the server counts inside the previous minute costs a 429 and a Retry-After wait.
            export=RequestBudget(int(env("ZENDESK_MAX_EXPORT_REQUESTS_PER_MINUTE", "10")), EXPORT_WINDOW_SECONDS),
            account=RequestBudget(int(account), 60.0) if account else None,
        )
        http = SourceHTTP(
            SOURCE,
            base,
            auth=requests.auth.HTTPBasicAuth(user, token),
            budget=budget,
            credentials_hint="check ZENDESK_EMAIL and ZENDESK_API_TOKEN (Basic auth '{email}/token:{api_token}'; "
            "token access must be enabled in Admin Center and the user must be an admin to export tickets)",
        )
        return cls(
            http,
            budget=budget,
            export_page_size=int(env("ZENDESK_EXPORT_PAGE_SIZE", "1000")),
            page_size=int(env("ZENDESK_PAGE_SIZE", "100")),
        )

    # -- reads -----------------------------------------------------------------------------------

    def read(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        if spec.name in EXPORT_STREAMS:
            with self.budget.exporting():
                self._read_cursor_export(spec, request, landing, include=EXPORT_STREAMS[spec.name])
        elif spec.name == "ticket_events":
            with self.budget.exporting():
                self._read_time_export(spec, EXPORT_TICKET_EVENTS, request, landing)
        elif spec.name == "satisfaction_ratings":
            self._read_list(spec, request, landing, windowed=True)
        else:
            self._read_list(spec, request, landing, windowed=False)

    def incremental_start(self, spec: StreamSpec, cursor: dict | None) -> datetime:
        # Time-based exports resume exactly at the last page's end_time, as Zendesk documents.
        if cursor and cursor.get("start_time") is not None:
            return datetime.fromtimestamp(int(cursor["start_time"]), tz=UTC)
        return super().incremental_start(spec, cursor)

    def reconcile_where(self, spec: StreamSpec, request: ReadRequest) -> str | None:
        """A full read returns every record stamped at or after its start (stamps only grow),
        so only those can be judged deleted when missing; lists are read whole."""
        if spec.is_reference:
            return None
        return f"updated_at >= timestamptz '{request.start.astimezone(UTC).isoformat()}'"

    def _read_cursor_export(
        self, spec: StreamSpec, request: ReadRequest, landing: Landing, include: str | None
    ) -> None:
        base = {"per_page": str(self.export_page_size)}
        if include:
            base["include"] = include
        resume = request.mode == "incremental" and request.cursor and request.cursor.get("after_cursor")
        if resume:
            params = {**base, "cursor": request.cursor["after_cursor"]}
        else:
            params = {**base, "start_time": str(_epoch_seconds(request.start))}
        stop_at = None if request.mode == "incremental" else _epoch_seconds(request.end)
        start_ts = _epoch_seconds(request.start)
        while True:
            page = self._export_page(spec, EXPORT_TICKETS, params, request, landing, stamp="generated_timestamp")
            if not page.after_cursor:
                raise SourceAPIError(
                    "the export page has no after_cursor",
                    source=SOURCE,
                    stream=spec.name,
                    window=request.window,
                    hint="the incremental export changed shape; rerun later (the cursor did not move)",
                )
            if request.mode == "incremental":
                landing.checkpoint(
                    {
                        "after_cursor": page.after_cursor,
                        "updated_at": _iso(page.last_stamp)
                        if page.last_stamp
                        else (request.cursor or {}).get("updated_at"),
                    }
                )
            self._estimate(landing, start_ts, page.last_stamp, stop_at)
            if page.end_of_stream or (
                stop_at is not None and page.last_stamp is not None and page.last_stamp >= stop_at
            ):
                return
            params = {**base, "cursor": page.after_cursor}

    def _read_time_export(self, spec: StreamSpec, path: str, request: ReadRequest, landing: Landing) -> None:
        start = _epoch_seconds(request.start)
        stop_at = None if request.mode == "incremental" else _epoch_seconds(request.end)
        params = {"start_time": str(start), "per_page": str(self.export_page_size)}
        while True:
            page = self._export_page(spec, path, params, request, landing, stamp="timestamp")
            if page.end_time is None:
                raise SourceAPIError(
                    "the export page has no end_time",
                    source=SOURCE,
                    stream=spec.name,
                    window=request.window,
                    hint="the incremental export changed shape; rerun later (the cursor did not move)",
                )
            if request.mode == "incremental":
                landing.checkpoint({"start_time": page.end_time, "updated_at": _iso(page.end_time)})
            self._estimate(landing, _epoch_seconds(request.start), page.last_stamp, stop_at)
            if page.end_of_stream or (stop_at is not None and page.end_time >= stop_at):
                return
            if page.end_time < int(params["start_time"]) or (
                page.end_time == int(params["start_time"]) and page.last_stamp is None
            ):
                raise SourceAPIError(
                    f"the export did not advance past start_time={params['start_time']}",
                    source=SOURCE,
                    stream=spec.name,
                    window=request.window,
                    hint="rerun later; if it persists, report it to Zendesk support with this start_time",
                )
            # The next page starts at end_time: rows of that second come again and are de-duplicated by id.
            params = {**params, "start_time": str(page.end_time)}

    def _export_page(
        self, spec: StreamSpec, path: str, params: dict[str, str], request: ReadRequest, landing: Landing, *, stamp: str
    ) -> ExportPage:
        def stage(response: requests.Response, body: bytes) -> ExportPage:
            check_json_object(body)
            # Export pages are positioned by their tickets, whichever array this stream lands.
            records = "$.ticket_events" if spec.name == "ticket_events" else "$.tickets"
            page = _read_envelope(landing.con, body, records=records, stamp=stamp, tombstones=spec.name == "tickets")
            # Metric sets come as a top-level sideload array; a page that instead carries them
            # on each ticket (the shape source-apis.md describes) lands from there.
            per_ticket = spec.name == "ticket_metrics" and not page.has_sideload
            landing.page(body, records_path=PER_TICKET_METRIC_SETS if per_ticket else None)
            for deleted_at, ids in page.deleted.items():
                landing.deleted(ids, _moment(deleted_at))
            return page

        _, page = self.http.get(path, params, stream=spec.name, window=request.window, validate=stage)
        return page

    def _read_list(self, spec: StreamSpec, request: ReadRequest, landing: Landing, *, windowed: bool) -> None:
        params: dict[str, str] = {"page[size]": str(min(self.page_size, 100))}
        if windowed:
            # start_time filters on updated_at, so late ratings of old tickets are read too.
            params["start_time"] = str(_epoch_seconds(request.start))
            # Zendesk rejects an end_time less than a minute old; windows ending now need none.
            if request.mode != "incremental" and request.end < datetime.now(UTC) - timedelta(minutes=2):
                params["end_time"] = str(_epoch_seconds(request.end) - 1)  # end_time is inclusive
        url: str | None = f"/api/v2/{spec.name}"
        query: dict[str, str] | None = params
        while url:
            _, envelope = self.http.get(
                url,
                query,
                stream=spec.name,
                window=request.window,
                validate=lambda r, body: self._stage_list(landing, body),
            )
            has_more, next_url = envelope
            url = next_url if has_more else None
            query = None  # links.next carries every parameter
        newest = landing.max_updated_at()
        if request.mode == "incremental" and newest is not None:
            landing.checkpoint({"updated_at": newest.isoformat()})

    @staticmethod
    def _stage_list(landing: Landing, body: bytes) -> tuple[bool, str | None]:
        check_json_object(body)
        try:
            has_more, next_url = landing.con.execute(
                "select (b->>'$.meta.has_more')::boolean, b->>'$.links.next' from (select json($body) as b)",
                {"body": body.decode("utf-8")},
            ).fetchall()[0]
        except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
            raise MalformedBody(str(exc)[:300]) from exc
        landing.page(body)
        return bool(has_more), next_url

    @staticmethod
    def _estimate(landing: Landing, start_ts: int, last_stamp: int | None, stop_at: int | None) -> None:
        """An ETA for exports, which report no totals: rows so far scaled by the share of time covered."""
        progress = landing.progress
        if progress is None or last_stamp is None:
            return
        end = stop_at or int(datetime.now(UTC).timestamp())
        covered = (last_stamp - start_ts) / max(end - start_ts, 1)
        if 0 < covered < 1:
            progress.expected_total = int(progress.rows / covered)


def _read_envelope(
    con: duckdb.DuckDBPyConnection, body: bytes, *, records: str, stamp: str, tombstones: bool
) -> ExportPage:
    deleted = (
        (
            f"(select coalesce(list([r->>'id', r->>'{stamp}']), []) from "
            f"(select unnest(from_json(b->'{records}', '[\"json\"]')) as r) where r->>'status' = 'deleted')"
        )
        if tombstones
        else "[]"
    )
    try:
        row = con.execute(
            f"""select b->>'$.after_cursor', (b->>'$.end_of_stream')::boolean, (b->>'$.end_time')::bigint,
                       (select max(try_cast(r->>'{stamp}' as bigint))
                        from (select unnest(from_json(b->'{records}', '["json"]')) as r)),
                       {deleted},
                       json_type(b->'$.metric_sets') = 'ARRAY'
                from (select json($body) as b)""",
            {"body": body.decode("utf-8")},
        ).fetchall()[0]
    except (duckdb.InvalidInputException, duckdb.ConversionException, UnicodeDecodeError) as exc:
        raise MalformedBody(str(exc)[:300]) from exc
    after_cursor, end_of_stream, end_time, last_stamp, deleted_pairs, has_sideload = row
    if end_of_stream is None:
        raise MalformedBody("export page without end_of_stream")
    deleted: dict[int | None, list[str]] = {}
    for ticket_id, stamp_text in deleted_pairs or []:
        deleted.setdefault(int(stamp_text) if (stamp_text or "").isdigit() else None, []).append(ticket_id)
    return ExportPage(after_cursor, bool(end_of_stream), end_time, last_stamp, deleted, bool(has_sideload))


def _epoch_seconds(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())


def _moment(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC)


def _iso(epoch: int | None) -> str | None:
    moment = _moment(epoch)
    return moment.isoformat() if moment else None

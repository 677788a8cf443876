"""PagerDuty REST API v2 connector: incidents, their log entries, and the on-call directory.

Paging is PagerDuty's "classic" offset paging (``offset += limit`` while ``more``), with
two hard limits that decide the whole design:

* ``since``/``until`` filter incidents on their **creation** time, span at most six
  months (400 beyond; one month when omitted);
* ``offset + limit`` may not exceed 10,000 (400, code 2002).

So every windowed read walks ``[start, end)`` in slices of ``PAGERDUTY_WINDOW_DAYS``
(at most 180 days: six months are never shorter than 181), asks for ``total=true`` on a
slice's first page, and splits a slice in two when it holds more than the offset cap can
reach (and, as a safety net, when the API answers 2002 anyway), down to one second.

**Updates to old incidents.** Filtering on creation time means a naive since/until pull
never sees an incident that was created before the window and acknowledged or resolved
inside it. An incremental read of ``incidents`` therefore has three phases:

A. read the overview log entries (``/log_entries?is_overview=true``) logged since the
   ``changes_until`` cursor (minus the overlap) and collect the incidents they belong
   to: every state change (acknowledge, resolve, escalate, reassign, urgency and
   priority changes) writes one;
B. read the incidents *created* since the ``created_until`` cursor (minus the overlap),
   slice by slice, checkpointing ``created_until`` after each slice;
C. re-read each incident found in A but not returned by B with ``GET /incidents/{id}``,
   then move ``changes_until`` to the newest log entry A saw.

Both cursors are stamps read from the data (the newest ``created_at`` of the incidents
and of the log entries seen), never our own clock, so clock skew between us and
PagerDuty cannot open a gap. They commit with the rows they cover, so a crash in B or C
resumes without a gap (phase A is simply redone from the unchanged ``changes_until``).
A first load has no phase A: it reads the current state of everything, and
``changes_until`` starts at the newest log entry that existed when it began (one
``limit=1`` request). Edits that write no log entry (a title change) are only seen when
the incident is read again; run ``--mode full`` (a re-read of every creation window) to
resync those, and to flag incidents that no longer exist (PagerDuty only deletes them
with their service).

``log_entries`` are immutable and windowed on their own ``created_at``; the cursor is the
newest one landed. Reference streams
(users, teams, services, escalation policies, priorities) have no modification stamp and
are read whole every time; ``--mode full`` also flags the ones that disappeared (PagerDuty
deletes users outright).

Rate limits: 429 waits ``ratelimit-reset`` seconds (PagerDuty's header; shared retry
budget in ``SourceHTTP``), and a request budget (``PAGERDUTY_MAX_REQUESTS_PER_MINUTE``,
default 900, under PagerDuty's 960 per key) keeps us below the limit in the first place.

Environment: ``PAGERDUTY_API_TOKEN`` (sent as ``Authorization: Token token=...``; set
``PAGERDUTY_AUTH_SCHEME=bearer`` for an OAuth access token), optional
``PAGERDUTY_BASE_URL`` (default https://api.pagerduty.com), ``PAGERDUTY_PAGE_SIZE``
(100, PagerDuty's maximum), ``PAGERDUTY_WINDOW_DAYS`` (30), ``PAGERDUTY_MAX_REQUESTS_PER_MINUTE``
(900), ``PAGERDUTY_LOG_ENTRIES_OVERVIEW`` (true: land state changes only, not every
notification), ``PAGERDUTY_OFFSET_CAP`` (10000; only for proxies or fakes with another cap).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from connectors.core.base import Connector, ReadRequest
from connectors.core.config import env, env_secret, require
from connectors.core.errors import ConfigError, SourceAPIError, Window
from connectors.core.http import MalformedBody, RequestBudget, SourceHTTP, check_json_object
from connectors.core.landing import Landing, StreamSpec

SOURCE = "pagerduty"
ACCEPT = "application/vnd.pagerduty+json;version=2"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: six calendar months are never shorter than 181 days
MAX_WINDOW_DAYS = 180
OFFSET_CAP = 10_000
OFFSET_CAP_CODE = 2002
#: until is padded by a second: whatever PagerDuty's bound inclusivity, adjacent slices overlap
#: by one second instead of leaving a gap (the duplicate is upserted away)
UNTIL_PAD = timedelta(seconds=1)

log = logging.getLogger("itops.connectors.pagerduty")


def _iso_stamp(field_name: str) -> str:
    return f"try_cast(rec->>'{field_name}' as timestamptz)"


def _reference(name: str, description: str) -> StreamSpec:
    return StreamSpec(
        source=SOURCE, name=name, records_path=f"$.{name}", primary_key="rec->>'id'",
        required=("name",), description=description, is_reference=True,
    )


STREAMS = [
    _reference("teams", "One row per PagerDuty team."),
    _reference("users", "One row per PagerDuty user (email, teams, role). Deleted users are gone from the API."),
    _reference("services", "One row per PagerDuty service (owning teams, escalation policy)."),
    _reference("escalation_policies", "One row per escalation policy (rules and their targets)."),
    _reference("priorities", "One row per incident priority (P1..P5 as configured in the account)."),
    StreamSpec(
        source=SOURCE, name="incidents", records_path="$.incidents", primary_key="rec->>'id'",
        updated_at=_iso_stamp("updated_at"), updated_raw="rec->>'updated_at'", required=("created_at", "status"),
        columns={
            "created_at": (_iso_stamp("created_at"), "timestamptz"),
            "incident_number": ("try_cast(rec->>'incident_number' as bigint)", "bigint"),
            "status": ("rec->>'status'", "varchar"),
        },
        description="One row per PagerDuty incident (latest version), from /incidents windowed on creation time "
        "plus re-reads of older incidents that changed (found through log entries).",
    ),
    StreamSpec(
        source=SOURCE, name="log_entries", records_path="$.log_entries", primary_key="rec->>'id'",
        updated_at=_iso_stamp("created_at"), updated_raw="rec->>'created_at'", required=("type",),
        columns={
            "incident_id": ("rec->'incident'->>'id'", "varchar"),
            "entry_type": ("rec->>'type'", "varchar"),
        },
        description="One row per incident log entry (trigger, assign, escalate, acknowledge, resolve...), "
        "from /log_entries windowed on created_at. Immutable.",
    ),
]


def pd_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def _parse_moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def slices(start: datetime, end: datetime, days: int) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` as consecutive windows of at most ``days`` days."""
    windows, cursor = [], start
    while cursor < end:
        nxt = min(cursor + timedelta(days=days), end)
        windows.append((cursor, nxt))
        cursor = nxt
    return windows


class _Split(Exception):
    """The window holds more records than offset paging can reach: read it as two halves."""


@dataclass
class _Page:
    """The envelope of one classic-paginated page (records only as far as paging needs them)."""

    more: bool
    limit: int
    total: int | None
    ids: list[str] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    #: the latest created_at among the page's records (both incidents and log entries have one)
    newest: datetime | None = None


class PagerDutyConnector(Connector):
    source = SOURCE
    STREAMS = STREAMS
    required_env = ("PAGERDUTY_API_TOKEN",)

    def __init__(
        self, http: SourceHTTP, *, page_size: int = 100, window_days: int = 30, overview_only: bool = True,
        offset_cap: int = OFFSET_CAP, **kwargs: Any,
    ) -> None:
        super().__init__(http, **kwargs)
        if not 1 <= page_size <= 100:
            raise ConfigError(f"PAGERDUTY_PAGE_SIZE={page_size}", source=SOURCE,
                              hint="use 1..100 (PagerDuty's maximum)")
        if not 1 <= window_days <= MAX_WINDOW_DAYS:
            raise ConfigError(f"PAGERDUTY_WINDOW_DAYS={window_days}", source=SOURCE,
                              hint=f"use 1..{MAX_WINDOW_DAYS}: PagerDuty rejects ranges over six months")
        self.page_size = page_size
        self.window_days = window_days
        self.overview_only = overview_only
        self.offset_cap = offset_cap

    @classmethod
    def from_env(cls) -> PagerDutyConnector:
        require("PAGERDUTY_API_TOKEN", SOURCE, hint="create a read-only REST API key in PagerDuty "
                "(Integrations > API Access Keys) and export PAGERDUTY_API_TOKEN")
        token = env_secret("PAGERDUTY_API_TOKEN")
        scheme = (env("PAGERDUTY_AUTH_SCHEME", "token") or "token").lower()
        if scheme not in ("token", "bearer"):
            raise ConfigError(f"PAGERDUTY_AUTH_SCHEME={scheme!r}", source=SOURCE,
                              hint="use token (REST API key) or bearer (OAuth access token)")
        authorization = f"Token token={token}" if scheme == "token" else f"Bearer {token}"
        per_minute = int(env("PAGERDUTY_MAX_REQUESTS_PER_MINUTE", "900"))
        http = SourceHTTP(
            SOURCE,
            env("PAGERDUTY_BASE_URL", "https://api.pagerduty.com"),
            headers={"Authorization": authorization, "Accept": ACCEPT},
            budget=RequestBudget(per_minute, 60.0) if per_minute > 0 else None,
            credentials_hint="check PAGERDUTY_API_TOKEN (a REST API key, or an OAuth token with "
            "PAGERDUTY_AUTH_SCHEME=bearer and the incidents.read, users.read, services.read, teams.read, "
            "escalation_policies.read and priorities.read scopes)",
        )
        return cls(
            http,
            page_size=int(env("PAGERDUTY_PAGE_SIZE", "100")),
            window_days=int(env("PAGERDUTY_WINDOW_DAYS", "30")),
            overview_only=(env("PAGERDUTY_LOG_ENTRIES_OVERVIEW", "true") or "true").lower() != "false",
            offset_cap=int(env("PAGERDUTY_OFFSET_CAP", str(OFFSET_CAP))),
        )

    # -- cursors ---------------------------------------------------------------------------------

    def incremental_start(self, spec: StreamSpec, cursor: dict | None) -> datetime:
        if spec.name == "incidents":
            created_until = _moment_or_none((cursor or {}).get("created_until"))
            if created_until is not None:
                return created_until - self.settings.overlap
            return super().incremental_start(spec, None)
        return super().incremental_start(spec, cursor)

    def reconcile_where(self, spec: StreamSpec, request: ReadRequest) -> str | None:
        column = {"incidents": "created_at", "log_entries": "updated_at"}.get(spec.name)
        if column is None:
            return None  # reference lists are read whole: the whole table is in scope
        return (f"{column} >= timestamptz '{request.start.isoformat()}' "
                f"and {column} < timestamptz '{request.end.isoformat()}'")

    # -- reads -----------------------------------------------------------------------------------

    def read(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        if spec.name == "incidents":
            self._read_incidents(spec, request, landing)
        elif spec.name == "log_entries":
            self._read_log_entries(spec, request, landing)
        else:
            self._read_reference(spec, landing)

    def _read_reference(self, spec: StreamSpec, landing: Landing) -> None:
        try:
            for _ in self._pages(spec.name, f"/{spec.name}", {}, landing=landing, window=None):
                pass
        except _Split:
            raise SourceAPIError(
                f"more than {self.offset_cap:,} {spec.name}: PagerDuty's offset cap stops the list there",
                source=SOURCE, stream=spec.name,
                hint="the list cannot be read whole with offset paging; report this to the maintainers "
                "(a split by team_ids[] would be needed)",
            ) from None

    def _read_log_entries(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        params = {"is_overview": "true"} if self.overview_only else {}
        advance = _may_advance(request, _moment_or_none((request.cursor or {}).get("updated_at")))
        newest = _moment_or_none((request.cursor or {}).get("updated_at"))
        for start, end in slices(request.start, request.end, self.window_days):
            for page in self._window_pages(spec.name, "/log_entries", params, start, end, landing=landing):
                newest = _later(newest, page.newest)
            # Entries come newest first, so a window is only covered once all of it is staged.
            if advance and newest is not None:
                landing.checkpoint({"updated_at": newest.isoformat()})

    def _read_incidents(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        cursor = request.cursor or {}
        old_created = _moment_or_none(cursor.get("created_until"))
        old_changes = _moment_or_none(cursor.get("changes_until")) if request.mode != "backfill" else None
        # Phase A: which incidents changed since the last read (each change writes a log entry).
        changed: set[str] = set()
        changes_until = old_changes
        if old_changes is not None:
            for start, end in slices(old_changes - self.settings.overlap, request.end, self.window_days):
                for page in self._window_pages("incidents", "/log_entries", {"is_overview": "true"}, start, end,
                                               landing=None):
                    changed.update(r["incident"]["id"] for r in page.records if isinstance(r.get("incident"), dict))
                    changes_until = _later(changes_until, page.newest)
        elif request.mode != "backfill":
            # A first read sees every change made before it started: the newest log entry now is
            # where the next read's phase A must begin.
            changes_until = self._newest_change(request)
        # Phase B: incidents created in the window, in their current state.
        seen: set[str] = set()
        created_until = old_created
        for start, end in slices(request.start, request.end, self.window_days):
            for page in self._window_pages("incidents", "/incidents", {"sort_by": "created_at:asc"}, start, end,
                                           landing=landing, keep_ids=old_changes is not None):
                seen.update(page.ids)
                created_until = _later(created_until, page.newest)
            if request.mode == "incremental" and created_until is not None:
                # Phase C has not run yet: changes_until stays where this read found it.
                landing.checkpoint(_incident_cursor(
                    created_until, old_changes or changes_until or landing.max_updated_at()))
        if request.mode == "backfill":
            return
        # Phase C: older incidents that changed, one by one (there is no ids[] filter on /incidents).
        stale = sorted(changed - seen)
        if stale:
            log.info("%s/incidents: re-reading %d incident(s) created before the window that changed in it",
                     SOURCE, len(stale))
        gone = [incident_id for incident_id in stale if not self._read_one_incident(incident_id, request, landing)]
        if gone:
            landing.deleted(gone)
        if not _may_advance(request, old_created):
            created_until = old_created  # a full read that starts after the cursor must not skip the gap
        # No log entry in the last month (changes_until None): nothing can have changed after the
        # newest incident version read, so that is where the next phase A starts.
        changes_until = changes_until or landing.max_updated_at()
        if created_until is not None or changes_until is not None:
            landing.checkpoint(_incident_cursor(created_until, changes_until))

    def _newest_change(self, request: ReadRequest) -> datetime | None:
        """Created time of the newest overview log entry (PagerDuty lists them newest first,
        over the last month by default); None when nothing happened in that month."""
        _, page = self.http.get(
            "/log_entries", {"limit": "1", "is_overview": "true", "time_zone": "UTC"}, stream="incidents",
            window=request.window, validate=lambda response, body: _parse_page(body, "log_entries"),
        )
        return page.newest

    def _read_one_incident(self, incident_id: str, request: ReadRequest, landing: Landing) -> bool:
        """Stage the current version of one incident; False when PagerDuty no longer has it."""

        def stage(response: requests.Response, body: bytes) -> bool:
            if response.status_code == 404:
                return False
            check_json_object(body)
            try:
                incident = json.loads(body)["incident"]
            except (ValueError, KeyError, TypeError) as exc:
                raise MalformedBody(f"not an incident document: {exc}") from exc
            landing.page('{"incidents":[' + json.dumps(incident, separators=(",", ":"), ensure_ascii=False) + "]}")
            return True

        _, found = self.http.get(f"/incidents/{incident_id}", {"time_zone": "UTC"}, stream="incidents",
                                 window=request.window, ok_statuses=(200, 404), validate=stage)
        return bool(found)

    # -- windowed classic paging -----------------------------------------------------------------

    def _read_window(
        self, stream: str, path: str, params: dict[str, str], start: datetime, end: datetime, *,
        landing: Landing, collect_ids: bool = False,
    ) -> set[str]:
        ids: set[str] = set()
        for page in self._window_pages(stream, path, params, start, end, landing=landing, keep_ids=collect_ids):
            ids.update(page.ids)
        return ids

    def _window_pages(
        self, stream: str, path: str, params: dict[str, str], start: datetime, end: datetime, *,
        landing: Landing | None, keep_ids: bool = False,
    ) -> Iterator[_Page]:
        """Every page of ``[start, end)``, splitting the window while it is too dense for offset paging.

        Halves are read left to right, so a caller can checkpoint at the end of the window.
        Pages of a window abandoned by a split may already be staged: the halves read them
        again and the upsert keeps one copy.
        """
        pending = [(start, end)]
        while pending:
            lo, hi = pending.pop()
            window = Window(pd_timestamp(lo), pd_timestamp(hi))
            query = {**params, "since": pd_timestamp(lo), "until": pd_timestamp(hi + UNTIL_PAD), "time_zone": "UTC"}
            try:
                yield from self._pages(stream, path, query, landing=landing, window=window, keep_ids=keep_ids)
            except _Split:
                if hi - lo <= timedelta(seconds=1):
                    raise SourceAPIError(
                        f"more than {self.offset_cap:,} records in one second of {path}", source=SOURCE,
                        stream=stream, window=window,
                        hint="PagerDuty's offset cap cannot be paged past at one-second resolution; "
                        "narrow the read with filters (report this to the maintainers)",
                    ) from None
                middle = lo + (hi - lo) / 2
                middle = middle.replace(microsecond=0) if middle.replace(microsecond=0) > lo else middle
                log.info("%s/%s: window %s holds more than the offset cap reaches; splitting at %s",
                         SOURCE, stream, window, pd_timestamp(middle))
                pending.extend([(middle, hi), (lo, middle)])

    def _pages(
        self, stream: str, path: str, query: dict[str, str], *, landing: Landing | None, window: Window | None,
        keep_ids: bool = False,
    ) -> Iterator[_Page]:
        """Classic offset paging to the true end (``more``), staging each page in ``landing``.

        Raises :class:`_Split` when the records cannot all be reached under the offset cap.
        """
        offset = 0
        progress = landing.progress if landing is not None else None
        base_rows = progress.rows if progress is not None else 0
        while True:
            if offset + self.page_size > self.offset_cap:
                raise _Split()
            params = {**query, "limit": str(self.page_size), "offset": str(offset)}
            if offset == 0:
                params["total"] = "true"  # lets a dense window split before paging into the cap
            first = offset == 0

            def stage(response: requests.Response, body: bytes, first: bool = first) -> _Page | None:
                if response.status_code == 400:
                    if _is_offset_cap_error(body):
                        return None
                    raise SourceAPIError(
                        f"HTTP 400 from GET {path}: {body[:300].decode('utf-8', 'replace')}", status=400,
                        source=SOURCE, stream=stream, window=window,
                        hint="the request was rejected; check PAGERDUTY_WINDOW_DAYS (at most 180) and the "
                        "base URL, then rerun (the cursor did not move)",
                    )
                page = _parse_page(body, path.rsplit("/", 1)[-1])
                if first and page.total is not None and page.total > self.offset_cap:
                    raise _Split()
                if landing is not None:
                    landing.page(body)
                if keep_ids:
                    page.ids = [str(r.get("id")) for r in page.records]
                if landing is not None:
                    page.records = []  # landed; the caller only needs ids and paging
                return page

            _, page = self.http.get(path, params, stream=stream, window=window, ok_statuses=(200, 400),
                                    validate=stage)
            if page is None:  # 400 code 2002: more records than the cap, though total did not say so
                raise _Split()
            if first and progress is not None and page.total is not None:
                progress.expected_total = base_rows + page.total
            yield page
            if not page.more:
                return
            offset += page.limit


def _is_offset_cap_error(body: bytes) -> bool:
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        return False
    text = " ".join(str(e) for e in error.get("errors") or [])
    return error.get("code") == OFFSET_CAP_CODE or "Offset must be less than" in text or "Offset+limit" in text


def _parse_page(body: bytes, collection: str) -> _Page:
    """The paging envelope, ids and creation stamps of a page. PagerDuty pages hold at most
    100 records, so parsing one here costs about a millisecond; the records themselves are
    still loaded by DuckDB (``Landing.page``), never row by row."""
    check_json_object(body)
    try:
        doc = json.loads(body)
        records = doc[collection]
        if not isinstance(records, list):
            raise TypeError(f"{collection} is not a list")
        return _Page(more=bool(doc.get("more")), limit=int(doc.get("limit") or len(records) or 1),
                     total=doc.get("total"), records=records, newest=_newest_created(records))
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedBody(f"not a {collection} page: {exc}") from exc


def _newest_created(records: list[dict]) -> datetime | None:
    newest = None
    for record in records:
        # A record without a usable created_at is quarantined by the landing; it moves no cursor.
        moment = _moment_or_none(record.get("created_at") if isinstance(record, dict) else None)
        newest = _later(newest, moment)
    return newest


def _moment_or_none(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return _parse_moment(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    return a if b is None or a >= b else b


def _may_advance(request: ReadRequest, committed: datetime | None) -> bool:
    """Whether this read may move the stream's cursor: incremental reads always; full reads
    when they start at or before the committed cursor (else they would skip the gap); backfills never."""
    if request.mode == "backfill":
        return False
    return request.mode == "incremental" or committed is None or request.start <= committed


def _incident_cursor(created_until: datetime | None, changes_until: datetime | None) -> dict:
    return {"created_until": created_until.isoformat() if created_until else None,
            "changes_until": changes_until.isoformat() if changes_until else None}

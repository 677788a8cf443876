"""Runn API v1 connector: people, contracts, time off, projects, scheduled and actual work.

Runn is the resource-planning tool: who is available (contracts, leave, rostered
days off, public holidays), who is scheduled where (assignments, placeholders,
tentative projects) and, for teams that log time in Runn, what was worked (actuals,
one per person x project x role x day, in minutes).

The API (source-apis.md section 6):

* ``Authorization: Bearer`` plus the mandatory ``Accept-Version: 1.0.0`` header;
* cursor pages ``{"values": [...], "nextCursor": ...}``, followed until
  ``nextCursor`` is null, with each endpoint's own page limit (a limit above the
  endpoint's maximum is a 400, so the connector caps ``RUNN_PAGE_SIZE`` per endpoint);
* required parameters on some lists (``sortBy`` on clients, contracts and
  time-offs; ``includeArchived`` on projects), always sent;
* ``modifiedAfter`` for incremental reads. Fact and planning streams are read
  sorted by ``updatedAt`` ascending, so the cursor (newest ``updatedAt`` staged)
  is checkpointed after every page and a crashed read resumes where it stopped;
* deletions are invisible to ``modifiedAfter``: every stream whose objects can be
  deleted also reads ``/activity-log/`` for its ``*_deleted`` events since its last
  deletion watermark and flags those ids deleted, in the same transaction as the
  read's rows and cursor (``{"updated_at": ..., "deletes_after": ...}``). The events
  themselves land in ``raw_runn.activity_log``;
* 429 answers carry ``retry-after`` and ``x-ratelimit-reset``, honoured by the
  shared HTTP layer; an optional request budget keeps us under the limit.

Backfills window actuals on their ``date`` (``minDate``/``maxDate``) and assignments
on their dates (``startDate``/``endDate``, overlap semantics), leaving the cursor
alone; a ``full`` read of a window also flags rows no longer returned as deleted.
Small reference lists (teams, roles, skills, clients, holiday groups, rate cards,
budget roles) are read whole every time.

Environment: ``RUNN_API_TOKEN``; optional ``RUNN_BASE_URL`` (default
https://api.runn.io; https://api.us.runn.io for US accounts), ``RUNN_PAGE_SIZE``
(default: each endpoint's maximum), ``RUNN_MAX_REQUESTS_PER_MINUTE`` (no budget by
default: Runn does not publish its limit; 429s are waited out).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from connectors.core.base import Connector, ReadRequest
from connectors.core.config import env, env_secret, require
from connectors.core.errors import ConfigError
from connectors.core.http import MalformedBody, RequestBudget, SourceHTTP
from connectors.core.landing import Landing, StreamSpec

SOURCE = "runn"
ACCEPT_VERSION = "1.0.0"
DEFAULT_BASE_URL = "https://api.runn.io"


@dataclass(frozen=True)
class Endpoint:
    """How one Runn list is read.

    Attributes:
        path: the list's path (``/time-offs/leave/``).
        max_limit: the endpoint's largest page (``limit``); more is a 400.
        params: parameters the endpoint requires on every call.
        incremental: supports ``modifiedAfter`` and is read sorted by ``updatedAt``.
        delete_event: the activity-log event type that deletes its objects.
        window: how backfills window it: ``date`` (actuals) or ``span`` (assignments).
    """

    path: str
    max_limit: int = 200
    params: dict[str, str] = field(default_factory=dict)
    incremental: bool = True
    delete_event: str | None = None
    window: str | None = None


def _spec(name: str, description: str, *, primary_key: str = "rec->>'id'", stamp: str | None = "updatedAt",
          columns: dict[str, tuple[str, str]] | None = None, is_reference: bool = True) -> StreamSpec:
    return StreamSpec(
        source=SOURCE,
        name=name,
        records_path="$.values",
        primary_key=primary_key,
        updated_raw=f"rec->>'{stamp}'" if stamp else None,
        updated_at=f"try_cast(rec->>'{stamp}' as timestamptz)" if stamp else None,
        columns=columns or {},
        description=description,
        is_reference=is_reference,
    )


SORTED = {"sortBy": "id"}  # required by some lists; incremental reads override it with updatedAt

STREAM_ENDPOINTS: list[tuple[StreamSpec, Endpoint]] = [
    (_spec("teams", "One row per Runn team (the best source of who belongs to which team)."),
     Endpoint("/teams/", incremental=False)),
    (_spec("roles", "One row per Runn role: default hourly cost and standard rate."),
     Endpoint("/roles/", incremental=False)),
    (_spec("skills", "One row per Runn skill."), Endpoint("/skills/", incremental=False)),
    (_spec("clients", "One row per Runn client (the business unit a project is for)."),
     Endpoint("/clients/", params=SORTED, incremental=False)),
    (_spec("holiday_groups", "One row per Runn holiday group (a country or region's public holidays)."),
     Endpoint("/holiday-groups/", incremental=False)),
    (_spec("rate_cards", "One row per Runn rate card (standard, blended, internal rates)."),
     Endpoint("/rate-cards/", incremental=False)),
    (_spec("people", "One row per person in Runn (everyone the organisation plans), with team and holiday group."),
     Endpoint("/people/", delete_event="person_deleted")),
    (_spec("placeholders", "One row per Runn placeholder (a role to be staffed, scheduled before a person is)."),
     Endpoint("/placeholders/")),
    (_spec("contracts", "One row per Runn contract: minutesPerDay, rosteredDays, costPerHour, employment type.",
           columns={"person_id": ("rec->>'personId'", "varchar")}),
     Endpoint("/contracts/", params=SORTED, delete_event="contract_deleted")),
    (_spec("projects", "One row per Runn project: pricing model (tm/fp/nb), budget, isConfirmed (tentative)."),
     Endpoint("/projects/", params={"includeArchived": "true"}, delete_event="project_deleted")),
    (_spec("phases", "One row per project phase with its dates."), Endpoint("/phases/", max_limit=500)),
    (_spec("budget_roles", "One row per (project, role) budget: estimated minutes and money.",
           primary_key="(rec->>'projectId') || ':' || (rec->>'roleId')", stamp=None),
     Endpoint("/budget-roles/", max_limit=500, incremental=False)),
    (_spec("assignments", "One row per Runn assignment (scheduled minutes per day over a date range; "
           "placeholders flagged).", is_reference=False,
           columns={"start_date": ("try_cast(rec->>'startDate' as date)", "date"),
                    "end_date": ("try_cast(rec->>'endDate' as date)", "date")}),
     Endpoint("/assignments/", max_limit=500, delete_event="assignment_deleted", window="span")),
    (_spec("actuals", "One row per Runn actual: billable and non-billable minutes per person, project, role "
           "and day.", is_reference=False, columns={"date": ("try_cast(rec->>'date' as date)", "date")}),
     Endpoint("/actuals/", max_limit=500, delete_event="actual_deleted", window="date")),
    (_spec("time_offs_leave", "One row per leave booking (minutesPerDay null = full days)."),
     Endpoint("/time-offs/leave/", params=SORTED, delete_event="time_off_deleted")),
    (_spec("time_offs_rostered_off", "One row per rostered day off (e.g. a nine-day fortnight)."),
     Endpoint("/time-offs/rostered-off/", params=SORTED, delete_event="time_off_deleted")),
    (_spec("time_offs_holidays", "One row per public holiday of a person (from their holiday group)."),
     Endpoint("/time-offs/holidays/", params=SORTED, delete_event="time_off_deleted")),
    (_spec("activity_log", "One row per deletion event in Runn's activity log (the deletes applied to the "
           "other streams).", primary_key="rec->>'eventId'", stamp="timestamp", is_reference=False,
           columns={"event_type": ("rec->>'type'", "varchar")}),
     Endpoint("/activity-log/", incremental=False)),
]

#: activity-log object key per event type (``{"type": "time_off_deleted", "timeOff": {"id": ...}}``)
EVENT_OBJECT_KEY = {"person_deleted": "person", "contract_deleted": "contract", "project_deleted": "project",
                    "assignment_deleted": "assignment", "actual_deleted": "actual", "time_off_deleted": "timeOff"}
DELETE_EVENTS = sorted(EVENT_OBJECT_KEY)


def runn_time(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``, rounded down to the second (never later than ``moment``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class RunnConnector(Connector):
    source = SOURCE
    STREAMS = [spec for spec, _ in STREAM_ENDPOINTS]
    ENDPOINTS = {spec.name: endpoint for spec, endpoint in STREAM_ENDPOINTS}
    required_env = ("RUNN_API_TOKEN",)

    def __init__(self, http: SourceHTTP, *, page_size: int | None = None, **kwargs) -> None:
        super().__init__(http, **kwargs)
        self.page_size = page_size

    @classmethod
    def from_env(cls) -> RunnConnector:
        require("RUNN_API_TOKEN", SOURCE, hint="create one in Runn > Settings > API and export RUNN_API_TOKEN=...")
        token = env_secret("RUNN_API_TOKEN")
        per_minute = env("RUNN_MAX_REQUESTS_PER_MINUTE")
        page_size = env("RUNN_PAGE_SIZE")
        if page_size is not None and (not page_size.isdigit() or int(page_size) < 1):
            raise ConfigError(f"RUNN_PAGE_SIZE={page_size!r} is not a positive integer", source=SOURCE,
                              hint="unset it to use each endpoint's largest page, or give e.g. 200")
        http = SourceHTTP(
            SOURCE,
            env("RUNN_BASE_URL", DEFAULT_BASE_URL),
            headers={"Authorization": f"Bearer {token}", "Accept-Version": ACCEPT_VERSION},
            budget=RequestBudget(int(per_minute), 60.0) if per_minute else None,
            credentials_hint="check RUNN_API_TOKEN (Runn > Settings > API) and RUNN_BASE_URL "
            "(https://api.us.runn.io for accounts hosted in the US)",
        )
        return cls(http, page_size=int(page_size) if page_size else None)

    def limit(self, endpoint: Endpoint) -> int:
        """The page size to ask for: ours, but never above what the endpoint accepts."""
        return min(self.page_size or endpoint.max_limit, endpoint.max_limit)

    # -- reading ------------------------------------------------------------------------------------

    def read(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        endpoint = self.ENDPOINTS[spec.name]
        if spec.name == "activity_log":
            self._read_activity_log(spec, request, landing)
            return
        cursor = request.cursor or {}
        incremental_read = endpoint.incremental and request.mode == "incremental"
        params = {"limit": str(self.limit(endpoint)), **endpoint.params}
        if endpoint.incremental:
            # Oldest change first, so each page's newest stamp is a safe place to resume from.
            params.update(sortBy="updatedAt", order="asc")
        if incremental_read and cursor.get("updated_at"):
            params["modifiedAfter"] = runn_time(request.start)
        elif request.mode != "incremental" or not spec.is_reference:
            # backfills and full reads window the business dates; so does a fact stream's first pull
            params.update(self._window(endpoint, request))
        newest: str | None = cursor.get("updated_at")

        def after_page(values: list[dict]) -> None:
            nonlocal newest
            seen = landing.max_updated_at()
            if incremental_read and seen is not None:
                newest = seen.isoformat()
                landing.checkpoint({"updated_at": newest, "deletes_after": cursor.get("deletes_after")})

        self._pages(endpoint.path, list(params.items()), spec, request, landing, after_page)
        deletes_after = cursor.get("deletes_after")
        if endpoint.delete_event:
            since = (_parse_time(deletes_after) - self.settings.overlap
                     if request.mode == "incremental" and deletes_after else request.start)
            latest = self._apply_deletions(endpoint.delete_event, since, spec, request, landing)
            if latest is not None and (deletes_after is None or latest > _parse_time(deletes_after)):
                deletes_after = latest.isoformat()
        if request.mode == "incremental" and endpoint.incremental:
            landing.checkpoint({"updated_at": newest, "deletes_after": deletes_after})

    @staticmethod
    def _window(endpoint: Endpoint, request: ReadRequest) -> dict[str, str]:
        """Backfill (and first-pull) bounds on the stream's business dates; end exclusive."""
        first = request.start.astimezone(UTC).date().isoformat()
        last = (request.end - timedelta(microseconds=1)).astimezone(UTC).date().isoformat()
        if endpoint.window == "date":
            return {"minDate": first} if request.mode == "incremental" else {"minDate": first, "maxDate": last}
        if endpoint.window == "span":
            return {"startDate": first} if request.mode == "incremental" else {"startDate": first, "endDate": last}
        return {}

    def _pages(self, path: str, params: list[tuple[str, str]], spec: StreamSpec, request: ReadRequest,
               landing: Landing | None, after_page: Callable[[list[dict]], None] | None = None) -> None:
        """GET every page of ``path`` until ``nextCursor`` is null, staging each in ``landing``
        (if given) and then calling ``after_page`` with the page's values."""
        query = list(params)
        while True:
            def stage(response, body: bytes) -> dict:
                try:
                    envelope = json.loads(body)
                except ValueError as exc:
                    raise MalformedBody(f"invalid JSON: {exc}") from exc
                if not isinstance(envelope, dict) or not isinstance(envelope.get("values"), list):
                    raise MalformedBody("not a Runn list page ({values, nextCursor})")
                if landing is not None:
                    landing.page(body)
                return envelope

            _, envelope = self.http.get(path, query, stream=spec.name, window=request.window, validate=stage)
            if after_page is not None:
                after_page(envelope["values"])
            next_cursor = envelope.get("nextCursor")
            if not next_cursor:
                return
            query = [*params, ("cursor", next_cursor)]

    def _apply_deletions(self, event_type: str, since: datetime, spec: StreamSpec, request: ReadRequest,
                         landing: Landing) -> datetime | None:
        """Flag the objects deleted since ``since`` (from the activity log); returns the newest event's time."""
        key = EVENT_OBJECT_KEY[event_type]
        latest: list[datetime] = []

        def collect(values: list[dict]) -> None:
            for event in values:
                when = _parse_time(event["timestamp"])
                landing.deleted([str(event[key]["id"])], deleted_at=when)
                latest.append(when)

        params = [("limit", str(self.limit(self.ENDPOINTS["activity_log"]))), ("eventType", event_type),
                  ("occurredAfter", runn_time(since))]
        self._pages("/activity-log/", params, spec, request, None, collect)
        return max(latest) if latest else None

    def _read_activity_log(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        """Every deletion event since the cursor (newest first, as Runn pages them); cursor at the end."""
        params = [("limit", str(self.limit(self.ENDPOINTS[spec.name]))), ("occurredAfter", runn_time(request.start))]
        params += [("eventType", event_type) for event_type in DELETE_EVENTS]
        self._pages("/activity-log/", params, spec, request, landing)
        newest = landing.max_updated_at()
        if request.mode == "incremental" and newest is not None:
            landing.checkpoint({"updated_at": newest.isoformat()})

    def reconcile_where(self, spec: StreamSpec, request: ReadRequest) -> str | None:
        first = request.start.astimezone(UTC).date().isoformat()
        last = (request.end - timedelta(microseconds=1)).astimezone(UTC).date().isoformat()
        window = self.ENDPOINTS[spec.name].window
        if window == "date":
            return f"date between date '{first}' and date '{last}'"
        if window == "span":
            return f"end_date >= date '{first}' and start_date <= date '{last}'"
        if spec.name == "activity_log":
            return "false"  # events are history: never judged deleted
        return None

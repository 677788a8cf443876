"""Fake Zendesk Support API over the synthetic org's tickets with ``source = 'zendesk'``.

Wire format per source-apis.md section 4:

- ``GET /api/v2/incremental/tickets/cursor``: ``start_time`` (epoch seconds, at least a
  minute in the past; the most recent minute is never returned) on the first request
  only, then ``cursor``; ``after_cursor``, ``after_url``, ``before_cursor``,
  ``before_url``, ``end_of_stream``; ``per_page`` <= 1000; ordered and compared on
  ``generated_timestamp`` (not ``updated_at``); deleted tickets appear with status
  ``deleted`` unless ``exclude_deleted=true``; ``include=metric_sets`` sideloads a
  top-level ``metric_sets`` array.
- ``GET /api/v2/incremental/tickets`` (time-based): ``count``, ``end_of_stream``,
  ``end_time``, ``next_page`` (``start_time=end_time``). Rows sharing the page's last
  timestamp are all returned (the page exceeds ``per_page``) and returned again on
  the next page, whose start is that timestamp: duplicates across page boundaries.
- ``GET /api/v2/incremental/ticket_events`` (time-based, same paging): one audit per
  ticket update with ``child_events`` (``Create``, ``Change`` with ``previous_value``,
  ``Comment``, ``SatisfactionRating``).
- ``GET /api/v2/satisfaction_ratings`` (``score`` filters, ``start_time``/``end_time``
  on ``updated_at``; the default list includes ``offered``/``unoffered``), ``/groups``,
  ``/users``, ``/organizations``: cursor pagination (``page[size]`` <= 100,
  ``meta.has_more``/``after_cursor``, ``links.next``) or offset pagination
  (``page``/``per_page``), which answers 400 past the first 10,000 records.
- Basic auth ``{email}/token:{api_token}``; 401 ``{"error": "Couldn't authenticate you"}``.
- Rate limits: the incremental endpoints allow ``export_rate_limit`` requests per
  window (Zendesk: 10 per minute), the account ``account_rate_limit``; both answer 429
  with ``Retry-After``. The account limiter answers in plain text, as some Zendesk
  429s do. Every response carries ``X-Rate-Limit``/``X-Rate-Limit-Remaining``; list
  endpoints also ``ratelimit-limit``/``-remaining``/``-reset``.

Data-level fault: ``Fault("duplicate", path=...)`` makes the next cursor-export page
start one record early (the previous page's last ticket again).
"""

from __future__ import annotations

import base64
import math
import threading
import time
from collections import deque
from datetime import UTC, datetime
from urllib.parse import urlencode

from connectors.fakes import zendesk_data as zd
from connectors.fakes.base import FakeAPI, Fault, OrgStore, Request, Response, basic_credentials, used_params

MAX_EXPORT_PAGE = 1000
MAX_CURSOR_PAGE = 100
OFFSET_RECORD_CAP = 10_000
EXPORT_PREFIX = "/api/v2/incremental/"


def _iso(column: str) -> str:
    return zd.iso(column)


def _duration(cal: str, biz: str) -> str:
    return f"json_object('calendar', {cal}, 'business', {biz})"


TICKET_JSON = f"""json_object(
    'url', $base || '/api/v2/tickets/' || zid || '.json',
    'id', zid,
    'external_id', null,
    'via', json_object('channel', via_channel, 'source', json_object('from', json_object(), 'to', json_object(),
                       'rel', null)),
    'created_at', {_iso("created_at")},
    'updated_at', {_iso("updated_at")},
    'generated_timestamp', generated_timestamp,
    'type', type,
    'subject', subject,
    'raw_subject', subject,
    'description', description,
    'priority', priority,
    'status', status,
    'recipient', 'support@acme-corp.zendesk.com',
    'requester_id', requester_id,
    'submitter_id', requester_id,
    'assignee_id', assignee_id,
    'organization_id', organization_id,
    'group_id', group_id,
    'collaborator_ids', '[]'::json,
    'follower_ids', '[]'::json,
    'email_cc_ids', '[]'::json,
    'forum_topic_id', null,
    'problem_id', null,
    'has_incidents', false,
    'is_public', true,
    'due_at', null,
    'tags', to_json(case when is_canceled then [category, 'canceled'] else [category] end),
    'custom_fields', to_json([json_object('id', {zd.SERVICE_FIELD_ID}, 'value', service_value)]),
    'satisfaction_rating', case
        when rating_score in ('good', 'bad') then json_object('id', {zd.RATING_ID} + zid, 'score', rating_score,
                                                             'comment', coalesce(rating_comment, ''))
        when rating_score = 'offered' then json_object('id', {zd.RATING_ID} + zid, 'score', 'offered')
        else json_object('score', 'unoffered') end,
    'sharing_agreement_ids', '[]'::json,
    'custom_status_id', null,
    'followup_ids', '[]'::json,
    'ticket_form_id', {zd.TICKET_FORM_ID},
    'brand_id', {zd.BRAND_ID},
    'allow_channelback', false,
    'allow_attachments', true,
    'from_messaging_channel', false
)"""

METRIC_SET_JSON = f"""json_object(
    'url', $base || '/api/v2/ticket_metrics/' || ({zd.METRIC_SET_ID} + zid) || '.json',
    'id', {zd.METRIC_SET_ID} + zid,
    'ticket_id', zid,
    'created_at', {_iso("created_at")},
    'updated_at', {_iso("updated_at")},
    'group_stations', group_stations,
    'assignee_stations', assignee_stations,
    'reopens', reopens,
    'replies', replies,
    'assignee_updated_at', {_iso("assignee_updated_at")},
    'requester_updated_at', {_iso("requester_updated_at")},
    'status_updated_at', {_iso("status_updated_at")},
    'initially_assigned_at', {_iso("initially_assigned_at")},
    'assigned_at', {_iso("assigned_at")},
    'solved_at', {_iso("solved_at")},
    'latest_comment_added_at', {_iso("latest_comment_added_at")},
    'custom_status_updated_at', null,
    'reply_time_in_minutes', {_duration("reply_cal", "reply_biz")},
    'first_resolution_time_in_minutes', {_duration("first_res_cal", "first_res_biz")},
    'full_resolution_time_in_minutes', {_duration("full_res_cal", "full_res_biz")},
    'agent_wait_time_in_minutes', {_duration("agent_wait_cal", "agent_wait_biz")},
    'requester_wait_time_in_minutes', {_duration("requester_wait_cal", "requester_wait_biz")},
    'on_hold_time_in_minutes', {_duration("on_hold_cal", "on_hold_biz")}
)"""

EVENT_JSON = f"""json_object(
    'id', id,
    'ticket_id', zid,
    'timestamp', ts,
    'created_at', {_iso("zd_at")},
    'updater_id', updater_id,
    'via', via,
    'system', json_object('client', 'Mozilla/5.0', 'ip_address', null, 'location', null, 'latitude', null,
                          'longitude', null),
    'metadata', json_object(),
    'event_type', 'Audit',
    'child_events', child_events::json
)"""

RATING_JSON = f"""json_object(
    'url', $base || '/api/v2/satisfaction_ratings/' || id || '.json',
    'id', id,
    'assignee_id', assignee_id,
    'group_id', group_id,
    'requester_id', requester_id,
    'ticket_id', zid,
    'score', score,
    'created_at', {_iso("created_at")},
    'updated_at', {_iso("updated_at")},
    'comment', comment,
    'reason', reason,
    'reason_id', reason_id
)"""

GROUP_JSON = f"""json_object(
    'url', $base || '/api/v2/groups/' || id || '.json', 'id', id, 'is_public', is_public, 'name', name,
    'description', description, 'default', "default", 'deleted', deleted,
    'created_at', {_iso("created_at")}, 'updated_at', {_iso("updated_at")})"""

USER_JSON = f"""json_object(
    'id', id, 'url', $base || '/api/v2/users/' || id || '.json', 'name', name, 'email', email,
    'created_at', {_iso("created_at")}, 'updated_at', {_iso("updated_at")},
    'time_zone', iana_time_zone, 'iana_time_zone', iana_time_zone, 'phone', null, 'shared_phone_number', null,
    'photo', null, 'locale_id', 1, 'locale', 'en-US', 'organization_id', organization_id, 'role', role,
    'verified', true, 'external_id', null, 'tags', '[]'::json, 'alias', '', 'active', active, 'shared', false,
    'shared_agent', false, 'last_login_at', null, 'two_factor_auth_enabled', null, 'signature', null,
    'details', '', 'notes', notes, 'role_type', null, 'custom_role_id', null, 'moderator', role <> 'end-user',
    'ticket_restriction', case when role = 'end-user' then 'requested' end, 'only_private_comments', false,
    'restricted_agent', false, 'suspended', false, 'default_group_id', default_group_id,
    'report_csv', false, 'user_fields', json_object())"""

ORGANIZATION_JSON = f"""json_object(
    'url', $base || '/api/v2/organizations/' || id || '.json', 'id', id, 'name', name, 'shared_tickets', false,
    'shared_comments', false, 'external_id', null, 'created_at', {_iso("created_at")},
    'updated_at', {_iso("updated_at")}, 'domain_names', '[]'::json, 'details', details, 'notes', '',
    'group_id', null, 'tags', '[]'::json, 'organization_fields', json_object())"""

SCORE_FILTERS = {
    "offered": "score = 'offered'",
    "unoffered": "score = 'unoffered'",
    "received": "score in ('good', 'bad')",
    "received_with_comment": "score in ('good', 'bad') and comment <> ''",
    "received_without_comment": "score in ('good', 'bad') and comment = ''",
    "good": "score = 'good'",
    "good_with_comment": "score = 'good' and comment <> ''",
    "good_without_comment": "score = 'good' and comment = ''",
    "bad": "score = 'bad'",
    "bad_with_comment": "score = 'bad' and comment <> ''",
    "bad_without_comment": "score = 'bad' and comment = ''",
}


def encode_export_cursor(stamp: int, ticket_id: int) -> str:
    """Zendesk-style opaque cursor: base64 of ``<generated_timestamp>.0||<id>|``."""
    return base64.b64encode(f"{stamp}.0||{ticket_id}|".encode()).decode()


def decode_export_cursor(cursor: str) -> tuple[int, int] | None:
    try:
        stamp, _, rest = base64.b64decode(cursor.encode(), validate=True).decode().partition("||")
        return int(float(stamp)), int(rest.rstrip("|"))
    except (ValueError, UnicodeDecodeError):
        return None


def _encode_id(value: int) -> str:
    return base64.urlsafe_b64encode(f"id:{value}".encode()).decode().rstrip("=")


def _decode_id(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(text.removeprefix("id:"))
    except (ValueError, UnicodeDecodeError):
        return None


class _Window:
    """A sliding-window request counter (the fake's side of a rate limit)."""

    def __init__(self, limit: tuple[int, float] | None) -> None:
        self.limit = limit
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, int, float]:
        """(allowed, remaining, seconds until a slot frees up)."""
        if self.limit is None:
            return True, 0, 0.0
        limit, per = self.limit
        with self._lock:
            now = time.monotonic()
            while self._calls and now - self._calls[0] >= per:
                self._calls.popleft()
            if len(self._calls) >= limit:
                return False, 0, per - (now - self._calls[0])
            self._calls.append(now)
            reset = per - (now - self._calls[0])
            return True, limit - len(self._calls), reset


class FakeZendesk(FakeAPI):
    name = "zendesk"

    def __init__(
        self,
        store: OrgStore,
        *,
        email: str = "itops@acme-corp.example",
        api_token: str = "secret-zendesk-token",
        export_rate_limit: tuple[int, float] | None = (10, 60.0),
        account_rate_limit: tuple[int, float] | None = (700, 60.0),
        **kwargs,
    ) -> None:
        self.email, self.api_token = email, api_token
        self.export_window = _Window(export_rate_limit)
        self.account_window = _Window(account_rate_limit)
        #: tickets deleted by an agent through the fake: zendesk id -> when
        self._deletions: dict[int, datetime] = {}
        self._deletions_lock = threading.Lock()
        super().__init__(store, **kwargs)

    def routes(self):
        return [
            ("GET", r"/api/v2/incremental/tickets/cursor(?:\.json)?", self.export_cursor),
            ("GET", r"/api/v2/incremental/tickets(?:\.json)?", self.export_time_based),
            ("GET", r"/api/v2/incremental/ticket_events(?:\.json)?", self.export_ticket_events),
            ("GET", r"/api/v2/satisfaction_ratings(?:\.json)?", self.satisfaction_ratings),
            ("GET", r"/api/v2/groups(?:\.json)?", self.groups),
            ("GET", r"/api/v2/users(?:\.json)?", self.users),
            ("GET", r"/api/v2/organizations(?:\.json)?", self.organizations),
        ]

    def start(self) -> FakeZendesk:
        super().start()
        # Headers and body go out in two writes; with Nagle's algorithm on, the body then
        # waits for the client's delayed ACK (~40 ms a request on Linux). Real APIs do not.
        assert self._server is not None
        self._server.RequestHandlerClass.disable_nagle_algorithm = True
        return self

    # -- what a test can do to the source ------------------------------------------------------

    def delete_ticket(self, ticket_id: int, at: datetime | None = None) -> None:
        """An agent deletes ticket ``ticket_id`` (default: at the store's clock)."""
        with self._deletions_lock:
            self._deletions[int(ticket_id)] = (at or self.store.clock).astimezone(UTC)

    def set_rate_limits(
        self, *, export: tuple[int, float] | None, account: tuple[int, float] | None = (700, 60.0)
    ) -> None:
        """Change the limits (requests, per seconds); None lifts one. Tests shrink the window."""
        self.export_window = _Window(export)
        self.account_window = _Window(account)

    def plain_text_429(self, path: str = ".*", *, retry_after: int = 1, times: int = 1, after: int = 0) -> Fault:
        """A 429 with a plain-text body, as Zendesk sends for some limits."""
        return self.faults.add(
            Fault(
                "status",
                path=path,
                times=times,
                after=after,
                status=429,
                headers={"Retry-After": str(retry_after), "Content-Type": "text/plain; charset=utf-8"},
                body=b"Rate limit for ticket updates exceeded, please wait before updating this ticket again",
            )
        )

    # -- auth, limits, errors ------------------------------------------------------------------

    def authorize(self, request: Request) -> Response | None:
        if basic_credentials(request) == (f"{self.email}/token", self.api_token):
            return None
        return Response(401, {"error": "Couldn't authenticate you"})

    def _dispatch(self, request: Request) -> Response:
        denied = self.authorize(request)
        if denied is not None:
            return denied
        allowed, remaining, reset = self.account_window.take()
        account_limit = self.account_window.limit[0] if self.account_window.limit else 700
        if not allowed:
            return Response(
                429,
                "Too Many Requests",
                {
                    "Content-Type": "text/plain; charset=utf-8",
                    "Retry-After": str(max(math.ceil(reset), 1)),
                    "X-Rate-Limit": str(account_limit),
                    "X-Rate-Limit-Remaining": "0",
                },
            )
        headers = {"X-Rate-Limit": str(account_limit), "X-Rate-Limit-Remaining": str(remaining)}
        if request.path.startswith(EXPORT_PREFIX):
            ok, _, wait = self.export_window.take()
            if not ok:
                seconds = str(max(math.ceil(wait), 1))
                return Response(
                    429,
                    {
                        "error": "APIRateLimitExceeded",
                        "description": "Number of allowed incremental export API requests per minute exceeded",
                    },
                    {**headers, "Retry-After": seconds, "ratelimit-reset": seconds},
                )
        else:
            headers.update(
                {
                    "ratelimit-limit": str(account_limit),
                    "ratelimit-remaining": str(remaining),
                    "ratelimit-reset": str(max(math.ceil(reset), 1)),
                }
            )
        response = super()._dispatch(request)
        response.headers = {**headers, **response.headers}
        return response

    def error_body(self, status: int) -> dict:
        if status == 429:
            return {
                "error": "APIRateLimitExceeded",
                "description": "Number of allowed API requests per minute exceeded",
            }
        if status >= 500:
            return {"error": "ServiceUnavailable", "description": "Zendesk is temporarily unavailable"}
        return {"error": "InvalidEndpoint", "description": "Not found"}

    @staticmethod
    def _invalid(description: str, error: str = "InvalidValue") -> Response:
        return Response(400, {"error": error, "description": description})

    # -- snapshots -----------------------------------------------------------------------------

    def _snapshots(self) -> dict[str, str]:
        with self._deletions_lock:
            deletions = dict(self._deletions)
        tag = "_".join(f"{k}x{int(v.timestamp())}" for k, v in sorted(deletions.items())) or "none"
        versions = self.store.snapshot(f"zd_versions_{tag}", zd.versions_sql(deletions))
        # Stored in export order, so an export page's start bound skips the row groups before it.
        tickets = self.store.snapshot(f"zd_tickets_{tag}", zd.tickets_sql(versions), "generated_timestamp, zid")
        return {
            "tickets": tickets,
            "events": self.store.snapshot(f"zd_events_{tag}", zd.events_sql(versions, tickets), "ts, id"),
            "ratings": self.store.snapshot(f"zd_ratings_{tag}", zd.ratings_sql(tickets), "id"),
        }

    def _horizon(self) -> int:
        """Exports never return the most recent minute."""
        return int(self.store.clock.timestamp()) - 60

    def _base(self, request: Request) -> str:
        return "http://" + request.headers.get("host", "127.0.0.1")

    def _start_time(self, request: Request) -> int | Response:
        raw = request.arg("start_time")
        if raw is None:
            return self._invalid("start_time is required")
        try:
            start = int(raw)
        except ValueError:
            return self._invalid(f"start_time {raw!r} is not a Unix epoch time")
        if start > self._horizon():
            return self._invalid("Too recent start_time. Use a start_time older than 1 minute")
        return start

    @staticmethod
    def _per_page(request: Request, default: int, maximum: int, name: str = "per_page") -> int | Response:
        raw = request.arg(name)
        try:
            size = int(raw) if raw is not None else default
        except ValueError:
            size = -1
        if not 1 <= size <= maximum:
            return FakeZendesk._invalid(f"{name} must be between 1 and {maximum}", "InvalidPaginationParameter")
        return size

    # -- incremental exports -------------------------------------------------------------------

    def export_cursor(self, request: Request) -> Response:
        per_page = self._per_page(request, MAX_EXPORT_PAGE, MAX_EXPORT_PAGE)
        if isinstance(per_page, Response):
            return per_page
        per_page *= self.page_scale
        cursor = request.arg("cursor")
        if cursor is not None:
            position = decode_export_cursor(cursor)
            if position is None:
                return self._invalid("cursor is invalid", "InvalidPaginationParameter")
            inclusive = self.faults.take(request.path, ("duplicate",)) is not None
            op = ">=" if inclusive else ">"
            where, params = (
                f"(generated_timestamp, zid) {op} ($c_ts, $c_id)",
                {"c_ts": position[0], "c_id": position[1]},
            )
        else:
            start = self._start_time(request)
            if isinstance(start, Response):
                return start
            position = (start, 0)
            where, params = "generated_timestamp >= $start", {"start": start}
        snaps = self._snapshots()
        if (request.arg("exclude_deleted") or "").lower() == "true":
            where += " and status <> 'deleted'"
        include_metrics = "metric_sets" in (request.arg("include") or "").split(",")
        rows = self._export_rows(request, snaps["tickets"], where, params, per_page + 1, include_metrics)
        more = len(rows) > per_page
        rows = rows[:per_page]
        after = encode_export_cursor(rows[-1][0], rows[-1][1]) if rows else encode_export_cursor(*position)
        before = encode_export_cursor(rows[0][0], rows[0][1]) if rows else None
        query = {k: v[0] for k, v in request.query.items() if k not in ("cursor", "start_time")}
        url = f"{self._base(request)}{request.path}"
        body = (
            '{"after_url":'
            + _json_str(f"{url}?{urlencode({**query, 'cursor': after})}")
            + ',"after_cursor":'
            + _json_str(after)
            + ',"before_url":'
            + (_json_str(f"{url}?{urlencode({**query, 'cursor': before})}") if before else "null")
            + ',"before_cursor":'
            + (_json_str(before) if before else "null")
            + ',"end_of_stream":'
            + ("false" if more else "true")
            + ',"tickets":['
            + ",".join(r[2] for r in rows)
            + "]"
            + (',"metric_sets":[' + ",".join(r[3] for r in rows if r[3]) + "]" if include_metrics else "")
            + "}"
        )
        return Response(200, body)

    def _export_rows(
        self, request: Request, table: str, where: str, params: dict, limit: int, include_metrics: bool
    ) -> list[tuple]:
        metric = f"case when status <> 'deleted' then {METRIC_SET_JSON}::varchar end" if include_metrics else "null"
        sql = f"""select generated_timestamp, zid, {TICKET_JSON}::varchar, {metric}
                  from {table} where {where} and generated_timestamp <= $horizon
                  order by generated_timestamp, zid limit {limit}"""
        values = {**params, "horizon": self._horizon(), "base": self._base(request)}
        return self.store.cursor().execute(sql, used_params(sql, values)).fetchall()

    def _time_based(
        self,
        request: Request,
        key: str,
        table: str,
        stamp: str,
        order: str,
        render: str,
        extra_where: str = "true",
        sideload: tuple[str, str] | None = None,
    ) -> Response:
        """Zendesk's time-based export paging, boundary duplicates and oversized pages included."""
        start = self._start_time(request)
        if isinstance(start, Response):
            return start
        per_page = self._per_page(request, MAX_EXPORT_PAGE, MAX_EXPORT_PAGE)
        if isinstance(per_page, Response):
            return per_page
        per_page *= self.page_scale
        cur = self.store.cursor()
        horizon = self._horizon()
        bounds = f"{stamp} >= $start and {stamp} <= $horizon and {extra_where}"
        keys = cur.execute(
            f"select {stamp} from {table} where {bounds} order by {stamp}, {order} limit {per_page + 1}",
            {"start": start, "horizon": horizon},
        ).fetchall()
        more = len(keys) > per_page
        if keys[:per_page]:
            last = keys[min(per_page, len(keys)) - 1][0]
            first = keys[0][0]
            # Everything sharing the last timestamp comes along: the page may exceed per_page.
            upper = f"{stamp} <= $last"
            end_time = last if first != last else last + 1
            more = more and bool(
                cur.execute(
                    f"select count(*) from {table} where {bounds} and {stamp} > $last",
                    {"start": start, "horizon": horizon, "last": last},
                ).fetchone()[0]
            )
        else:
            upper, last, end_time = "true", None, start
        docs = f"select {render}::varchar from {table} where {bounds} and {upper} order by {stamp}, {order}"
        values = {"start": start, "horizon": horizon, "last": last, "base": self._base(request)}
        rows = [r[0] for r in cur.execute(docs, used_params(docs, values)).fetchall()]
        query = {k: v[0] for k, v in request.query.items() if k != "start_time"}
        next_page = f"{self._base(request)}{request.path}?{urlencode({**query, 'start_time': end_time})}"
        body = '{"' + key + '":[' + ",".join(rows) + "]"
        if sideload is not None:
            name, sideload_render = sideload
            sql = (
                f"select {sideload_render}::varchar from {table} where {bounds} and {upper} "
                f"and status <> 'deleted' order by {stamp}, {order}"
            )
            body += f',"{name}":[' + ",".join(r[0] for r in cur.execute(sql, used_params(sql, values)).fetchall()) + "]"
        body += (
            ',"count":'
            + str(len(rows))
            + ',"end_of_stream":'
            + ("false" if more else "true")
            + ',"end_time":'
            + str(end_time)
            + ',"next_page":'
            + _json_str(next_page)
            + "}"
        )
        return Response(200, body)

    def export_time_based(self, request: Request) -> Response:
        snaps = self._snapshots()
        where = "status <> 'deleted'" if (request.arg("exclude_deleted") or "").lower() == "true" else "true"
        sideload = ("metric_sets", METRIC_SET_JSON) if "metric_sets" in (request.arg("include") or "") else None
        return self._time_based(
            request, "tickets", snaps["tickets"], "generated_timestamp", "zid", TICKET_JSON, where, sideload
        )

    def export_ticket_events(self, request: Request) -> Response:
        snaps = self._snapshots()
        return self._time_based(request, "ticket_events", snaps["events"], "ts", "id", EVENT_JSON)

    # -- cursor / offset paginated lists ---------------------------------------------------------

    def satisfaction_ratings(self, request: Request) -> Response:
        snaps = self._snapshots()
        where, params = ["true"], {}
        score = request.arg("score")
        if score is not None:
            if score not in SCORE_FILTERS:
                return self._invalid(f"score {score!r} is not one of: {', '.join(SCORE_FILTERS)}")
            where.append(SCORE_FILTERS[score])
        for name, op in (("start_time", ">="), ("end_time", "<=")):
            raw = request.arg(name)
            if raw is None:
                continue
            try:
                params[name] = int(raw)
            except ValueError:
                return self._invalid(f"{name} {raw!r} is not a Unix epoch time")
            where.append(f"epoch(updated_at) {op} ${name}")
        if "end_time" in params and params["end_time"] > self._horizon():
            return self._invalid("end_time must be at least 1 minute in the past")
        return self._list(request, "satisfaction_ratings", snaps["ratings"], RATING_JSON, " and ".join(where), params)

    def groups(self, request: Request) -> Response:
        return self._list(request, "groups", self.store.snapshot("zd_groups", zd.GROUPS_SQL), GROUP_JSON)

    def users(self, request: Request) -> Response:
        table = self.store.snapshot("zd_users", zd.USERS_SQL)
        roles = request.args("role")
        unknown = set(roles) - {"end-user", "agent", "admin"}
        if unknown:
            return self._invalid(f"role {sorted(unknown)[0]!r} is not one of: end-user, agent, admin")
        where = "role in (" + ", ".join(f"'{r}'" for r in roles) + ")" if roles else "true"
        return self._list(request, "users", table, USER_JSON, where)

    def organizations(self, request: Request) -> Response:
        return self._list(
            request, "organizations", self.store.snapshot("zd_orgs", zd.ORGANIZATIONS_SQL), ORGANIZATION_JSON
        )

    def _list(
        self, request: Request, key: str, table: str, render: str, where: str = "true", params: dict | None = None
    ) -> Response:
        params = dict(params or {})
        if request.arg("page") is not None:  # page=N (offset); cursor pagination uses page[size]/page[after]
            return self._offset_list(request, key, table, render, where, params)
        size = self._per_page(request, MAX_CURSOR_PAGE, MAX_CURSOR_PAGE, "page[size]")
        if isinstance(size, Response):
            return size
        size *= self.page_scale
        after, before = request.arg("page[after]"), request.arg("page[before]")
        cur = self.store.cursor()
        values = {**params, "base": self._base(request)}
        if after is not None or before is not None:
            anchor = _decode_id(after if after is not None else before)
            if anchor is None:
                return self._invalid("page cursor is invalid", "InvalidPaginationParameter")
            values["anchor"] = anchor
        if before is not None:
            sql = (
                f"select id, {render}::varchar from (select * from {table} where {where} and id < $anchor "
                f"order by id desc limit {size + 1}) order by id"
            )
        else:
            bound = "id > $anchor" if after is not None else "true"
            # The page by id first, then only its rows rendered (rendering every remaining row
            # before the limit made each page of 600,000 ratings cost a pass over all of them).
            sql = (f"select id, {render}::varchar from (select * from {table} where {where} and {bound} "
                   f"order by id limit {size + 1}) order by id")
        rows = cur.execute(sql, used_params(sql, values)).fetchall()
        more = len(rows) > size
        rows = rows[1:] if (before is not None and more) else rows[:size]
        after_cursor = _encode_id(rows[-1][0]) if rows else None
        before_cursor = _encode_id(rows[0][0]) if rows else None
        query = {k: v[0] for k, v in request.query.items() if k not in ("page[after]", "page[before]")}
        url = f"{self._base(request)}{request.path}"
        has_more = more if before is None else True
        links = {
            "next": f"{url}?{urlencode({**query, 'page[after]': after_cursor})}" if has_more and after_cursor else None,
            "prev": f"{url}?{urlencode({**query, 'page[before]': before_cursor})}" if before_cursor else None,
        }
        meta = (
            '{"has_more":'
            + ("true" if has_more else "false")
            + ',"after_cursor":'
            + (_json_str(after_cursor) if after_cursor else "null")
            + ',"before_cursor":'
            + (_json_str(before_cursor) if before_cursor else "null")
            + "}"
        )
        body = (
            '{"'
            + key
            + '":['
            + ",".join(r[1] for r in rows)
            + '],"meta":'
            + meta
            + ',"links":{"next":'
            + (_json_str(links["next"]) if links["next"] else "null")
            + ',"prev":'
            + (_json_str(links["prev"]) if links["prev"] else "null")
            + "}}"
        )
        return Response(200, body)

    def _offset_list(self, request: Request, key: str, table: str, render: str, where: str, params: dict) -> Response:
        per_page = self._per_page(request, 100, 100)
        if isinstance(per_page, Response):
            return per_page
        try:
            page = int(request.arg("page") or 1)
        except ValueError:
            return self._invalid("page must be a number", "InvalidPaginationParameter")
        if page < 1 or (page - 1) * per_page >= OFFSET_RECORD_CAP:
            return self._invalid(
                "Offset pagination is limited to the first 10000 records (100 pages). "
                "Use cursor-based pagination instead.",
                "InvalidPaginationParameter",
            )
        cur = self.store.cursor()
        count_sql = f"select count(*) from {table} where {where}"
        (total,) = cur.execute(count_sql, used_params(count_sql, params)).fetchone()
        sql = (
            f"select {render}::varchar from {table} where {where} order by id "
            f"limit {per_page} offset {(page - 1) * per_page}"
        )
        rows = cur.execute(sql, used_params(sql, {**params, "base": self._base(request)})).fetchall()
        query = {k: v[0] for k, v in request.query.items() if k != "page"}
        url = f"{self._base(request)}{request.path}"
        has_next = page * per_page < total and page * per_page < OFFSET_RECORD_CAP
        next_page = f"{url}?{urlencode({**query, 'page': page + 1})}" if has_next else None
        previous = f"{url}?{urlencode({**query, 'page': page - 1})}" if page > 1 else None
        body = (
            '{"'
            + key
            + '":['
            + ",".join(r[0] for r in rows)
            + '],"next_page":'
            + (_json_str(next_page) if next_page else "null")
            + ',"previous_page":'
            + (_json_str(previous) if previous else "null")
            + ',"count":'
            + str(total)
            + "}"
        )
        return Response(200, body)


def _json_str(text: str) -> str:
    import json

    return json.dumps(text)

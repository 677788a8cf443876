"""Fake Jira Cloud platform REST API v3 + Jira Service Management, over the synthetic org.

Wire format per source-apis.md section 3 (what the org looks like as Jira issues is in
``connectors/fakes/jira_sql.py``):

* ``GET /rest/api/3/search/jql``: JQL must be *bounded* (400 otherwise); ``fields`` is
  explicit and defaults to ``id`` only (``*all`` / ``*navigable`` for everything);
  ``maxResults`` defaults to 50 and is capped at 100 when fields other than id/key are
  requested (5000 otherwise); the response has ``issues``, ``isLast`` and, except on the
  last page, an opaque ``nextPageToken`` -- never ``total``. The token remembers an
  *offset* into a query re-evaluated at every page, so issues updated between pages shift
  the pages (connectors must not trust it to be a snapshot). ``expand=changelog`` embeds
  at most ``changelog_limit`` (40) of the most recent histories with ``total``.
* ``GET|POST /rest/api/{2,3}/search``: removed, ``410 Gone`` with Atlassian's error body.
* ``GET /rest/api/3/issue/{idOrKey}/changelog``: every history, ``startAt``/``maxResults``
  (max 100) / ``total`` / ``isLast``, oldest first.
* ``GET /rest/api/3/field``: system and custom fields; the SLA, Team, Request Type and
  Satisfaction custom field ids are per site (``FieldIds``) and found by name.
* ``GET /rest/api/3/project/search`` (``startAt``/``maxResults``/``typeKey``, ``isLast``,
  ``total``, ``nextPage``), ``GET /rest/api/3/users/search`` (a bare array; accounts the
  API user may not browse take their slot but are not returned, so pages come back short),
  ``GET /rest/api/3/myself``.
* ``GET /rest/servicedeskapi/request/{issueIdOrKey}/feedback``: ``{"type": "csat",
  "rating": 1..5, "comment": {"body": ...}}``, 404 when no feedback was given.
* Basic auth ``email:api_token``; datetimes ``2024-06-26T21:42:35.953-0700`` in the API
  user's profile time zone; 429 with ``Retry-After`` and ``X-RateLimit-Reset`` (ISO-8601)
  from :meth:`FakeJira.rate_limited` or the optional burst limiter; deleted issues simply
  disappear (``delete_issue`` also simulates an admin deleting one now).
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from connectors.fakes.base import FakeAPI, Fault, OrgStore, Request, Response, basic_credentials, used_params
from connectors.fakes.jira_sql import PROJECTS, FieldIds, JiraSQL
from connectors.fakes.jql import Columns, JQLError, translate

REMOVED_SEARCH = {
    "errorMessages": [
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration "
        "guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
    ]
}
#: issue-level keys returned whatever ``fields`` says
ID_FIELDS = {"id", "key"}
EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


def _system_fields() -> list[dict]:
    def system(fid: str, name: str, schema: dict, *, clause: str | None = None) -> dict:
        return {"id": fid, "key": fid, "name": name, "custom": False, "orderable": True, "navigable": True,
                "searchable": True, "clauseNames": [clause or fid], "schema": schema}

    return [
        system("summary", "Summary", {"type": "string", "system": "summary"}),
        system("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}, clause="type"),
        system("project", "Project", {"type": "project", "system": "project"}),
        system("status", "Status", {"type": "status", "system": "status"}),
        system("statuscategorychangedate", "Status Category Changed",
               {"type": "datetime", "system": "statuscategorychangedate"}),
        system("priority", "Priority", {"type": "priority", "system": "priority"}),
        system("assignee", "Assignee", {"type": "user", "system": "assignee"}),
        system("reporter", "Reporter", {"type": "user", "system": "reporter"}),
        system("creator", "Creator", {"type": "user", "system": "creator"}),
        system("created", "Created", {"type": "datetime", "system": "created"}),
        system("updated", "Updated", {"type": "datetime", "system": "updated"}),
        system("resolution", "Resolution", {"type": "resolution", "system": "resolution"}),
        system("resolutiondate", "Resolved", {"type": "datetime", "system": "resolutiondate"}, clause="resolved"),
        system("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
        system("components", "Components", {"type": "array", "items": "component", "system": "components"},
               clause="component"),
    ]


def _custom_field(fid: str, name: str, schema_type: str, custom: str) -> dict:
    number = int(fid.rsplit("_", 1)[1])
    return {"id": fid, "key": fid, "name": name, "untranslatedName": name, "custom": True, "orderable": True,
            "navigable": True, "searchable": True, "clauseNames": [f"cf[{number}]", name],
            "schema": {"type": schema_type, "custom": custom, "customId": number}}


class FakeJira(FakeAPI):
    name = "jira"

    def __init__(
        self,
        store: OrgStore,
        *,
        email: str = "itops-integration@acme-corp.example",
        api_token: str = "secret-jira-api-token",
        time_zone: str = "America/Los_Angeles",
        site: str = "https://acme-corp.atlassian.net",
        field_ids: FieldIds | None = None,
        changelog_limit: int = 40,
        rate_limit: tuple[int, float] | None = None,
        **kwargs,
    ) -> None:
        self.email, self.api_token = email, api_token
        self.time_zone = time_zone
        self.site = site
        self.field_ids = field_ids or FieldIds()
        #: histories embedded per issue by expand=changelog (Jira Cloud's enhanced search: 40)
        self.changelog_limit = changelog_limit
        #: optional burst limiter: at most n requests per window, then 429
        self.rate_limit = rate_limit
        #: issue ids deleted "now" by an admin, on top of those deleted in the synthetic history
        self.deleted_issue_ids: set[int] = set()
        self._calls: deque[float] = deque()
        self._rate_lock = threading.Lock()
        self.sql = JiraSQL(time_zone=time_zone, site=site, fields=self.field_ids)
        self._tag = hashlib.md5(f"{time_zone}|{site}|{self.field_ids}".encode()).hexdigest()[:8]
        #: per snapshot table: issue ids and keys, and feedback documents by issue id, for the
        #: per-issue endpoints (a scan of a million issues per request made them the slowest part)
        self._lookups: dict[str, object] = {}
        self._lookups_lock = threading.Lock()
        super().__init__(store, **kwargs)

    def routes(self):
        return [
            ("GET", r"/rest/api/3/search/jql", self.search_jql),
            ("GET", r"/rest/api/[23]/search", self.removed_search),
            ("POST", r"/rest/api/[23]/search", self.removed_search),
            ("GET", r"/rest/api/3/issue/(?P<issue>[A-Za-z0-9_-]+)/changelog", self.changelog),
            ("GET", r"/rest/api/3/field", self.fields),
            ("GET", r"/rest/api/3/project/search", self.projects),
            ("GET", r"/rest/api/3/users/search", self.users),
            ("GET", r"/rest/api/3/myself", self.myself),
            ("GET", r"/rest/servicedeskapi/request/(?P<issue>[A-Za-z0-9_-]+)/feedback", self.feedback),
        ]

    def start(self) -> FakeJira:
        super().start()
        # Answers are many small responses (one per feedback request): without TCP_NODELAY,
        # Nagle's algorithm and delayed ACKs stall each one for ~40 ms. Accepted sockets
        # inherit the option from the listening socket.
        assert self._server is not None
        self._server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self

    # -- auth, errors, rate limits --------------------------------------------------------------

    def authorize(self, request: Request) -> Response | None:
        if basic_credentials(request) != (self.email, self.api_token):
            return Response(401, "Client must be authenticated to access this resource.",
                            {"Content-Type": "text/html;charset=UTF-8"})
        if self.rate_limit is not None:
            limit, per = self.rate_limit
            with self._rate_lock:
                now = time.monotonic()
                while self._calls and now - self._calls[0] >= per:
                    self._calls.popleft()
                if len(self._calls) >= limit:
                    wait = per - (now - self._calls[0])
                    return Response(429, self.error_body(429), self.rate_limit_headers(wait))
                self._calls.append(now)
        return None

    def error_body(self, status: int) -> dict:
        if status == 429:
            return {"errorMessages": ["Rate limit exceeded."], "errors": {}}
        if status >= 500:
            return {"errorMessages": ["Internal server error"], "errors": {}}
        if status == 404:
            return {"errorMessages": ["Not Found"], "errors": {}}
        return {"errorMessages": [f"HTTP {status}"], "errors": {}}

    @staticmethod
    def rate_limit_headers(seconds: float) -> dict[str, str]:
        """Jira's 429 headers: Retry-After in seconds, X-RateLimit-Reset as an ISO-8601 minute."""
        reset = datetime.now(UTC) + timedelta(seconds=seconds)
        reset = reset.replace(second=0, microsecond=0) + (timedelta(minutes=1) if reset.second or
                                                          reset.microsecond else timedelta(0))
        return {
            "Retry-After": str(max(int(seconds + 0.999), 1)),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ"),
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-NearLimit": "true",
            "RateLimit-Reason": "jira-burst-based",
        }

    def rate_limited(self, seconds: float, *, path: str = ".*", times: int = 1, after: int = 0) -> Fault:
        """Inject 429s carrying Jira's full rate-limit header set."""
        return self.faults.add(Fault("status", path=path, times=times, after=after, status=429,
                                     headers=self.rate_limit_headers(seconds),
                                     body=json.dumps(self.error_body(429)).encode()))

    def delete_issue(self, issue_id: int | str) -> None:
        """An admin deletes an issue now: it vanishes from every endpoint, with no tombstone."""
        self.deleted_issue_ids.add(int(issue_id))

    @staticmethod
    def _bad_request(message: str) -> Response:
        return Response(400, {"errorMessages": [message], "errors": {}})

    # -- snapshots --------------------------------------------------------------------------------

    def _users_table(self) -> str:
        return self.store.snapshot(f"jira_users_{self._tag}", self.sql.users())

    def _issues_table(self) -> str:
        users = self._users_table()
        # Stored in (updated, id) order: the keyset pages connectors read then touch only their
        # own row groups when the page's documents are rendered (search_jql).
        return self.store.snapshot(f"jira_issues_{self._tag}", self.sql.issues(users), "updated_ms, issue_id")

    def _visible(self) -> str:
        if not self.deleted_issue_ids:
            return "true"
        return "issue_id not in (" + ", ".join(str(i) for i in sorted(self.deleted_issue_ids)) + ")"

    def _clock_ms(self) -> int:
        return int(self.store.clock.timestamp() * 1000)

    def _base(self, request: Request) -> str:
        return "http://" + request.headers.get("host", "127.0.0.1")

    # -- search -----------------------------------------------------------------------------------

    def removed_search(self, request: Request) -> Response:
        return Response(410, REMOVED_SEARCH)

    def search_jql(self, request: Request) -> Response:
        jql = request.arg("jql")
        try:
            query = translate(jql, Columns(time_zone=self.time_zone, now_ms=self._clock_ms()))
        except JQLError as exc:
            return self._bad_request(str(exc))
        fields = [f.strip() for raw in request.args("fields") for f in raw.split(",") if f.strip()] or ["id"]
        expand = {e.strip() for raw in request.args("expand") for e in raw.split(",")}
        only_ids = set(fields) <= ID_FIELDS and "changelog" not in expand
        try:
            requested = int(request.arg("maxResults") or 50)
        except ValueError:
            return self._bad_request("The value for maxResults is invalid.")
        limit = max(1, min(requested, 5000 if only_ids else 100)) * self.page_scale
        offset = 0
        token = request.arg("nextPageToken")
        query_id = hashlib.sha1(f"{jql}|{','.join(fields)}|{sorted(expand)}".encode()).hexdigest()[:12]
        if token:
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
                offset, token_query = int(state["o"]), state["q"]
            except (ValueError, KeyError, TypeError):
                return self._bad_request("The provided next page token is invalid or expired.")
            if token_query != query_id:
                return self._bad_request("The provided next page token is invalid or expired.")
        table = self._issues_table()
        where = f"({query.where}) and {self._visible()}"
        cur = self.store.cursor()
        # The page's ids first (one row more than the page says whether another follows),
        # then only those issues rendered: rendering every match for every page is quadratic.
        ids_sql = f"select issue_id, updated_ms from {table} where {where} order by {query.order_by} " \
                  f"limit {limit + 1} offset {offset}"
        keys = cur.execute(ids_sql, used_params(ids_sql, query.params)).fetchall()
        is_last = len(keys) <= limit
        keys = keys[:limit]
        ids = [issue_id for issue_id, _ in keys]
        stamps = [updated for _, updated in keys]
        # The page's range of update stamps as constants, so the scan skips the other row groups.
        in_range = "true" if not stamps or None in stamps else \
            f"updated_ms between {int(min(stamps))} and {int(max(stamps))}"
        render = self._render_issue(fields, "changelog" in expand)
        sql = f"""
            select {render}::varchar
            from (select unnest($ids) as issue_id, generate_subscripts($ids, 1) as pos) page
            join (select * from {table} where {in_range}) using (issue_id)
            order by pos"""
        params = {"ids": ids, "climit": self.changelog_limit, "site": self.site}
        docs = [doc for (doc,) in cur.execute(sql, used_params(sql, params)).fetchall()] if ids else []
        body = '{"issues":[' + ",".join(docs) + "]"
        if not is_last:
            next_token = base64.urlsafe_b64encode(
                json.dumps({"o": offset + len(docs), "q": query_id}).encode()).decode()
            body += ',"nextPageToken":' + json.dumps(next_token)
        body += ',"isLast":' + ("true" if is_last else "false") + "}"
        return Response(200, body)

    def _render_issue(self, fields: list[str], with_changelog: bool) -> str:
        parts = ["'expand', '" + EXPAND + "'", "'id', cast(issue_id as varchar)",
                 "'self', $site || '/rest/api/3/issue/' || cast(issue_id as varchar)", "'key', issue_key"]
        wanted = [f for f in fields if f not in ID_FIELDS]
        if "*all" in wanted or "*navigable" in wanted:
            parts.append("'fields', fields")
        elif wanted:
            pairs = ", ".join(
                f"'{name}', json_extract(fields, '$.\"{name}\"')" for name in dict.fromkeys(wanted)
                if name.replace("_", "").isalnum()
            )
            parts.append(f"'fields', json_object({pairs})" if pairs else "'fields', json_object()")
        if with_changelog:
            parts.append(
                "'changelog', json_object('startAt', 0, 'maxResults', least(len(histories), $climit), "
                "'total', len(histories), "
                "'histories', to_json(list_slice(histories, greatest(len(histories) - $climit, 0) + 1, "
                "len(histories))))"
            )
        return "json_object(" + ", ".join(parts) + ")"

    # -- issue sub-resources ---------------------------------------------------------------------

    def _lookup(self, table: str, sql: str, build):
        """``build(rows of sql)``, once per snapshot table."""
        with self._lookups_lock:
            if table not in self._lookups:
                self._lookups[table] = build(self.store.cursor().execute(sql).fetchall())
            return self._lookups[table]

    def _find_issue(self, issue: str) -> tuple[str, int] | None:
        table = self._issues_table()
        ids, keys = self._lookup(table, f"select issue_id, issue_key from {table}",
                                 lambda rows: ({i for i, _ in rows}, {k: i for i, k in rows}))
        issue_id = int(issue) if issue.isdigit() else keys.get(issue)
        if issue_id is None or issue_id not in ids or issue_id in self.deleted_issue_ids:
            return None
        return table, issue_id

    def changelog(self, request: Request, issue: str) -> Response:
        found = self._find_issue(issue)
        if found is None:
            return Response(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                                  "errors": {}})
        table, issue_id = found
        start = max(int(request.arg("startAt") or 0), 0)
        limit = max(1, min(int(request.arg("maxResults") or 100), 100))
        total, values = self.store.cursor().execute(
            f"select len(histories), to_json(list_slice(histories, {start + 1}, {start + limit}))::varchar "
            f"from {table} where issue_id = ?", [issue_id]
        ).fetchone()
        is_last = start + limit >= total
        base = self._base(request) + request.path
        envelope = {"self": f"{base}?{urlencode({'startAt': start, 'maxResults': limit})}"}
        if not is_last:
            envelope["nextPage"] = f"{base}?{urlencode({'startAt': start + limit, 'maxResults': limit})}"
        envelope.update(maxResults=limit, startAt=start, total=total, isLast=is_last)
        head = json.dumps(envelope)[:-1]
        return Response(200, head + ',"values":' + (values or "[]") + "}")

    def feedback(self, request: Request, issue: str) -> Response:
        found = self._find_issue(issue)
        not_found = Response(404, {"errorMessage": "The request could not be found or you do not have permission "
                                                   "to view it.",
                                   "i18nErrorMessage": {"i18nKey": "sd.request.error.not.found", "parameters": []}})
        if found is None:
            return not_found
        table, issue_id = found
        snapshot = self.store.snapshot(f"jira_feedback_{self._tag}", self.sql.feedback(table))
        docs = self._lookup(snapshot, f"select issue_id, doc::varchar from {snapshot}", dict)
        doc = docs.get(issue_id)
        return Response(200, doc) if doc is not None else not_found

    # -- reference data --------------------------------------------------------------------------

    def fields(self, request: Request) -> Response:
        f = self.field_ids
        customs = [
            _custom_field(f.team, "Team", "team", "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team"),
            _custom_field(f.request_type, "Request Type", "sd-customerrequesttype",
                          "com.atlassian.servicedesk:vp-origin"),
            _custom_field(f.time_to_resolution, "Time to resolution", "sd-servicelevelagreement",
                          "com.atlassian.servicedesk:sd-sla-field"),
            _custom_field(f.time_to_first_response, "Time to first response", "sd-servicelevelagreement",
                          "com.atlassian.servicedesk:sd-sla-field"),
            _custom_field(f.satisfaction, "Satisfaction", "sd-feedback",
                          "com.atlassian.servicedesk:sd-request-feedback"),
            _custom_field(f.satisfaction_date, "Satisfaction date", "datetime",
                          "com.atlassian.servicedesk:sd-request-feedback-date"),
        ]
        return Response(200, _system_fields() + customs)

    def projects(self, request: Request) -> Response:
        start = max(int(request.arg("startAt") or 0), 0)
        limit = max(1, min(int(request.arg("maxResults") or 50), 100))
        type_keys = {t for raw in request.args("typeKey") for t in raw.split(",") if t}
        chosen = [p for p in PROJECTS if not type_keys or p[3] in type_keys]
        page = chosen[start:start + limit]
        values = [{
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "self": f"{self.site}/rest/api/3/project/{pid}", "id": pid, "key": key, "name": name,
            "avatarUrls": {"48x48": f"{self.site}/rest/api/3/universal_avatar/view/type/project/avatar/10400"},
            "projectTypeKey": ptype, "simplified": False, "style": "classic", "isPrivate": False, "properties": {},
        } for pid, key, name, ptype, _, _ in page]
        is_last = start + limit >= len(chosen)
        base = self._base(request) + request.path
        query = {k: v[0] for k, v in request.query.items()}
        body: dict = {"self": f"{base}?{urlencode({**query, 'startAt': start, 'maxResults': limit})}"}
        if not is_last:
            body["nextPage"] = f"{base}?{urlencode({**query, 'startAt': start + limit, 'maxResults': limit})}"
        body.update(maxResults=limit, startAt=start, total=len(chosen), isLast=is_last, values=values)
        return Response(200, body)

    def users(self, request: Request) -> Response:
        start = max(int(request.arg("startAt") or 0), 0)
        limit = max(1, min(int(request.arg("maxResults") or 50), 1000))
        table = self._users_table()
        rows = self.store.cursor().execute(
            f"""select coalesce(string_agg(doc::varchar, ',' order by account_id), '') from (
                    select * from {table} order by account_id limit {limit} offset {start}
                ) where not hidden"""
        ).fetchone()[0]
        return Response(200, "[" + rows + "]")

    def myself(self, request: Request) -> Response:
        return Response(200, {"self": f"{self.site}/rest/api/3/user?accountId=integration",
                              "accountId": "712020:0f5c2c7b-4a3e-4e5f-9a57-6c1a8f3b2d11", "accountType": "atlassian",
                              "emailAddress": self.email, "displayName": "ITOps integration", "active": True,
                              "timeZone": self.time_zone, "locale": "en_US"})

"""Jira Cloud / Jira Service Management connector.

Streams: ``fields`` (field catalogue), ``projects``, ``users`` (reference data, read whole),
``issues`` (complete records: explicit fields incl. the JSM SLA, Team, Request Type and
Satisfaction custom fields, and the full changelog) and ``request_feedback`` (JSM CSAT).

How issues are read, and why:

* **Search** is ``GET /rest/api/3/search/jql`` (the old ``/search`` answers 410). It has
  no ``total``; a page is the last one when ``isLast`` is true, never because it is short
  (Jira shrinks pages to ~100 issues when fields are requested, whatever ``maxResults``).
* **Window in epoch milliseconds.** JQL date literals are read in the *API user's profile
  time zone* at minute precision, which loses or duplicates issues around every boundary;
  an epoch-millisecond number is exact: ``updated >= 1732877091000 AND updated < ...``.
* **Keyset paging on (updated, id).** Every page is a fresh query for the issues after the
  last (updated, id) read: ``... AND (updated > U OR (updated = U AND id > N)) ORDER BY
  updated ASC, id ASC``. ``nextPageToken`` is not used to continue: Jira does not promise
  the token is a snapshot, and an offset-like token skips an unread issue whenever an issue
  on an earlier page is updated (it leaves the window) during the read. With the keyset an
  issue updated mid-read just moves past the window's end and is read by the next run.
* **Checkpoint after every page**: all issues up to the last key are staged, and the
  order is total, so the cursor ``{"updated_at", "id"}`` commits with them; a crash
  resumes from there (minus the overlap window, for Jira's eventually consistent index).
* **Changelog**: search embeds at most 40 histories (``changelog.total`` says how many
  exist). For those issues the complete history is fetched from
  ``/rest/api/3/issue/{id}/changelog`` and spliced into the record, in DuckDB, before the
  page is staged, so a landed issue always carries its whole history.
* **Deletes**: Jira reports none. ``--mode full`` lists the ids of every issue in scope
  (``fields=id``: 5000 per page, cheap) and flags the landed issues no longer listed.
* **Custom fields** are found by name in ``/rest/api/3/field`` (their ids differ per site).
* **Scope**: ``JIRA_PROJECTS`` (comma-separated keys), else every JSM (``service_desk``) project.

``request_feedback`` asks ``/rest/servicedeskapi/request/{id}/feedback`` (one call per
request, the API has no list) for the resolved issues landed with ``updated`` in the read
window whose *Satisfaction* field shows a rating; on a site without that field, for every
resolved issue (404 = no feedback). A rating sets the field, which bumps ``updated``, so a
new rating always falls in some window. The feedback body is kept whole under
``feedback``, next to the issue it belongs to (id, key, updated), which it does not repeat.
Its cursor is the (updated, id) of the last issue asked, checkpointed every 200 issues.

Environment: ``JIRA_BASE_URL`` (https://<site>.atlassian.net), ``JIRA_EMAIL``,
``JIRA_API_TOKEN``; optional ``JIRA_PROJECTS``, ``JIRA_PAGE_SIZE`` (100),
``JIRA_MAX_REQUESTS_PER_MINUTE`` (a request budget; Jira's burst limits answer 429 with
``Retry-After`` and an ISO ``X-RateLimit-Reset``, both honoured).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import duckdb
import requests

from connectors.core.base import EPOCH, Connector, ReadRequest
from connectors.core.config import env, env_secret, register_basic_auth, require
from connectors.core.errors import ConfigError, SourceAPIError
from connectors.core.http import MalformedBody, RequestBudget, SourceHTTP, check_json_object
from connectors.core.landing import Landing, StreamSpec, ensure_raw_table

log = logging.getLogger("itops.connectors.jira")

SOURCE = "jira"
SEARCH = "/rest/api/3/search/jql"
#: Jira datetimes: ``2024-06-26T21:42:35.953-0700`` (DuckDB reads the colon-less offset)
JIRA_TIMESTAMP = "try_cast({} as timestamptz)"

#: system fields every issue record carries
SYSTEM_FIELDS = [
    "summary", "issuetype", "project", "status", "statuscategorychangedate", "priority", "assignee", "reporter",
    "creator", "created", "updated", "resolution", "resolutiondate", "labels", "components",
]
#: custom fields found by name (and, where names are ambiguous, by type)
CUSTOM_FIELDS = {
    "Team": "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team",
    "Request Type": "com.atlassian.servicedesk:vp-origin",
    "Time to first response": "com.atlassian.servicedesk:sd-sla-field",
    "Time to resolution": "com.atlassian.servicedesk:sd-sla-field",
    "Satisfaction": "com.atlassian.servicedesk:sd-request-feedback",
    "Satisfaction date": "com.atlassian.servicedesk:sd-request-feedback-date",
}
FEEDBACK_BATCH = 200


def _issue_stamp(path: str) -> str:
    return JIRA_TIMESTAMP.format(path)


STREAMS = [
    StreamSpec(
        source=SOURCE, name="fields", records_path="$", primary_key="rec->>'id'",
        description="One row per Jira field (system and custom), from /rest/api/3/field: maps site-specific "
                    "custom field ids (SLA, Team, Request Type) to names.",
        is_reference=True,
    ),
    StreamSpec(
        source=SOURCE, name="projects", records_path="$.values", primary_key="rec->>'id'",
        columns={"key": ("rec->>'key'", "varchar")},
        description="One row per Jira project, from /rest/api/3/project/search.", is_reference=True,
    ),
    StreamSpec(
        source=SOURCE, name="users", records_path="$", primary_key="rec->>'accountId'",
        description="One row per Jira account (agents, JSM portal customers, apps), from /rest/api/3/users/search.",
        is_reference=True,
    ),
    StreamSpec(
        source=SOURCE, name="issues", records_path="$.issues", primary_key="rec->>'id'",
        updated_raw="rec->'fields'->>'updated'", updated_at=_issue_stamp("rec->'fields'->>'updated'"),
        required=("key",),
        columns={"key": ("rec->>'key'", "varchar"),
                 "project_key": ("rec->'fields'->'project'->>'key'", "varchar")},
        description="One row per Jira issue (latest version) with its complete changelog and JSM SLA fields, "
                    "from /rest/api/3/search/jql.",
    ),
    StreamSpec(
        source=SOURCE, name="request_feedback", records_path="$.values", primary_key="rec->'issue'->>'id'",
        updated_raw="rec->'issue'->>'updated'", updated_at=_issue_stamp("rec->'issue'->>'updated'"),
        columns={"issue_key": ("rec->'issue'->>'key'", "varchar")},
        description="One row per JSM request with customer feedback (CSAT rating and comment), from "
                    "/rest/servicedeskapi/request/{id}/feedback.",
    ),
]


def epoch_ms(moment: datetime) -> int:
    return round(moment.astimezone(UTC).timestamp() * 1000)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class JiraConnector(Connector):
    source = SOURCE
    STREAMS = STREAMS
    required_env = ("JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN")
    #: accounts per /users/search page (the API's maximum)
    USERS_PAGE_SIZE = 1000

    def __init__(self, http: SourceHTTP, *, projects: list[str] | None = None, page_size: int = 100,
                 **kwargs) -> None:
        super().__init__(http, **kwargs)
        self.configured_projects = projects
        self.page_size = page_size
        self._field_ids: dict[str, str] | None = None
        self._scope: list[str] | None = None

    @classmethod
    def from_env(cls) -> JiraConnector:
        base = require("JIRA_BASE_URL", SOURCE, hint="e.g. https://acme.atlassian.net")
        email = require("JIRA_EMAIL", SOURCE, hint="the Atlassian account e-mail the API token belongs to")
        token = env_secret("JIRA_API_TOKEN")
        if not token:
            raise ConfigError("environment variable JIRA_API_TOKEN is not set", source=SOURCE,
                              hint="create one at https://id.atlassian.com/manage-profile/security/api-tokens")
        register_basic_auth(email, token)
        per_minute = env("JIRA_MAX_REQUESTS_PER_MINUTE")
        http = SourceHTTP(
            SOURCE, base, auth=requests.auth.HTTPBasicAuth(email, token),
            budget=RequestBudget(int(per_minute), 60.0) if per_minute else None,
            credentials_hint="check JIRA_EMAIL and JIRA_API_TOKEN (an API token of that Atlassian account) and "
            "that the account can browse the projects (JSM agent licence for SLA and feedback)",
        )
        projects = [p.strip() for p in (env("JIRA_PROJECTS") or "").split(",") if p.strip()] or None
        page_size = int(env("JIRA_PAGE_SIZE", "100"))
        if not 1 <= page_size <= 5000:
            raise ConfigError(f"JIRA_PAGE_SIZE={page_size}", source=SOURCE, hint="use 1..5000 (Jira serves <= 100 "
                              "issues per page when fields are requested)")
        return cls(http, projects=projects, page_size=page_size)

    def read(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        readers = {
            "fields": self._read_fields,
            "projects": self._read_projects,
            "users": self._read_users,
            "issues": self._read_issue_ids if request.mode == "full" else self._read_issues,
            "request_feedback": self._read_feedback,
        }
        readers[spec.name](spec, request, landing)

    def reconcile_where(self, spec: StreamSpec, request: ReadRequest) -> str | None:
        if spec.name == "issues":
            return "false"  # the id sweep reports deletions itself (landing.deleted)
        if spec.name == "request_feedback":
            return (f"updated_at >= '{request.start.astimezone(UTC).isoformat()}' "
                    f"and updated_at < '{request.end.astimezone(UTC).isoformat()}'")
        return None

    # -- reference streams ----------------------------------------------------------------------

    def _read_fields(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        self.http.get("/rest/api/3/field", stream=spec.name, window=request.window,
                      validate=lambda r, body: landing.page(_json_array(body)))

    def _read_users(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        # /users/search returns a bare array and may return fewer accounts than maxResults
        # (accounts we may not browse are dropped after the limit), so a short page is not
        # the end: step by maxResults until a page comes back empty.
        start, size = 0, self.USERS_PAGE_SIZE
        while True:
            _, count = self.http.get(
                "/rest/api/3/users/search", {"startAt": str(start), "maxResults": str(size)},
                stream=spec.name, window=request.window, validate=lambda r, body: landing.page(_json_array(body)),
            )
            if count == 0:
                return
            start += size

    def _read_projects(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        for body in self._project_pages(spec.name, request, {}):
            landing.page(body)

    def _project_pages(self, stream: str, request: ReadRequest, params: dict[str, str]) -> Iterator[bytes]:
        start = 0
        while True:
            _, (body, envelope) = self.http.get(
                "/rest/api/3/project/search", {**params, "startAt": str(start), "maxResults": "50"},
                stream=stream, window=request.window, validate=lambda r, b: (b, _json_object(b)),
            )
            yield body
            if envelope.get("isLast", True) or not envelope.get("values"):
                return
            start = int(envelope.get("startAt", start)) + len(envelope["values"])

    # -- discovery ------------------------------------------------------------------------------

    def field_ids(self, stream: str, request: ReadRequest) -> dict[str, str]:
        """Custom field name -> this site's field id, for the fields we read (absent ones left out)."""
        if self._field_ids is None:
            _, catalogue = self.http.get("/rest/api/3/field", stream=stream, window=request.window,
                                         validate=lambda r, body: json.loads(_json_array(body)))
            found: dict[str, str] = {}
            for name, custom_type in CUSTOM_FIELDS.items():
                matches = [f for f in catalogue if f.get("name") == name and f.get("custom")]
                typed = [f for f in matches if (f.get("schema") or {}).get("custom") == custom_type]
                chosen = (typed or matches)[:1]
                if chosen:
                    found[name] = chosen[0]["id"]
                else:
                    log.warning("jira: no custom field named %r on this site; issues will not carry it", name)
            self._field_ids = found
        return self._field_ids

    def project_scope(self, stream: str, request: ReadRequest) -> list[str]:
        """Project keys to read: JIRA_PROJECTS, else every Jira Service Management project."""
        if self._scope is None:
            if self.configured_projects:
                self._scope = list(self.configured_projects)
            else:
                keys: list[str] = []
                for body in self._project_pages(stream, request, {"typeKey": "service_desk"}):
                    keys += [p["key"] for p in _json_object(body).get("values", [])]
                if not keys:
                    log.warning("jira: no service management projects found; reading issues of every project "
                                "(set JIRA_PROJECTS to choose)")
                self._scope = keys
        return self._scope

    # -- issues ---------------------------------------------------------------------------------

    def issue_fields(self, stream: str, request: ReadRequest) -> list[str]:
        return SYSTEM_FIELDS + list(self.field_ids(stream, request).values())

    def issue_jql(self, scope: list[str], start: datetime, end: datetime | None, *conditions: str,
                  order: str = "updated ASC, id ASC") -> str:
        """JQL for issues in scope with ``start <= updated < end`` (epoch millis, never a
        time-zone-dependent date literal), plus extra ``conditions``."""
        parts = []
        if scope:
            parts.append("project in (" + ", ".join(_quote(k) for k in scope) + ")")
        parts.append(f"updated >= {epoch_ms(start)}")
        if end is not None:
            parts.append(f"updated < {epoch_ms(end)}")
        parts.extend(conditions)
        return " AND ".join(parts) + f" ORDER BY {order}"

    @staticmethod
    def after_key(updated_ms: int, issue_id: int) -> str:
        """The keyset condition: issues strictly after (updated, id) in ``updated ASC, id ASC`` order."""
        return f"(updated > {updated_ms} OR (updated = {updated_ms} AND id > {issue_id}))"

    def _read_issues(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        scope = self.project_scope(spec.name, request)
        fields = ",".join(self.issue_fields(spec.name, request))
        after: tuple[int, int] | None = None
        token: str | None = None
        while True:
            keyset = [self.after_key(*after)] if after else []
            params = {"jql": self.issue_jql(scope, request.start, request.end, *keyset), "fields": fields,
                      "expand": "changelog", "maxResults": str(self.page_size)}
            if token:
                params["nextPageToken"] = token
            _, page = self.http.get(SEARCH, params, stream=spec.name, window=request.window,
                                    validate=lambda r, body: self._stage_issue_page(spec, request, landing, body))
            if page.last_key is not None:
                after, token = page.last_key, None
                if request.mode == "incremental":
                    updated = EPOCH + timedelta(milliseconds=after[0])
                    landing.checkpoint({"updated_at": updated.isoformat(), "id": str(after[1])})
            if page.is_last:
                return
            if page.last_key is None:
                # Not one record on the page had a usable (updated, id): the keyset cannot
                # move, so continue this query with Jira's own token instead.
                token = page.next_token
                if not token:
                    raise SourceAPIError("search page without a usable key or nextPageToken", source=SOURCE,
                                         stream=spec.name, window=request.window,
                                         hint="inspect raw_meta.quarantine for this batch and rerun")

    def _stage_issue_page(self, spec: StreamSpec, request: ReadRequest, landing: Landing, body: bytes) -> _Page:
        check_json_object(body)
        page = _summarise(landing.con, body)
        if page.truncated:
            body = self._with_full_changelogs(spec, request, landing.con, body, page.truncated)
        landing.page(body)
        return page

    def _with_full_changelogs(self, spec: StreamSpec, request: ReadRequest, con: duckdb.DuckDBPyConnection,
                              body: bytes, issue_ids: list[str]) -> str:
        """The page with every truncated ``changelog`` replaced by the issue's complete history."""
        con.execute("create or replace temp table _jira_histories (issue_id varchar, pos bigint, history json)")
        for issue_id in issue_ids:
            start = 0
            while True:
                _, envelope = self.http.get(
                    f"/rest/api/3/issue/{issue_id}/changelog", {"startAt": str(start), "maxResults": "100"},
                    stream=spec.name, window=request.window,
                    validate=lambda r, b, i=issue_id, s=start: _stage_histories(con, i, s, b),
                )
                if envelope["is_last"] or envelope["count"] == 0:
                    break
                start += envelope["count"]
        patched = con.execute(
            """
            with recs as (
                select unnest(from_json(json($body)->'$.issues', '["json"]')) as rec,
                       generate_subscripts(from_json(json($body)->'$.issues', '["json"]'), 1) as ord
            ),
            full_history as (
                select issue_id, count(*) as n, to_json(list(history order by pos)) as histories
                from _jira_histories group by issue_id
            )
            select '{"issues":' || coalesce(to_json(list(
                case when h.issue_id is null then rec
                     else json_merge_patch(rec, json_object('changelog', json_object(
                         'startAt', 0, 'maxResults', h.n, 'total', h.n, 'histories', h.histories)))
                end order by ord)), '[]') || '}'
            from recs left join full_history h on h.issue_id = rec->>'id'
            """,
            {"body": body.decode("utf-8")},
        ).fetchall()[0][0]
        con.execute("drop table if exists _jira_histories")
        return patched

    def _read_issue_ids(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        """Deletes by id reconciliation: list every issue id in scope, flag the landed ones not listed.

        The sweep has no upper bound on ``updated``: an issue updated while we sweep must
        still be listed. Only issues landed with ``updated >= start`` are judged (any such
        issue still has ``updated >= start`` at the source, so it is listed unless deleted).
        """
        scope = self.project_scope(spec.name, request)
        con = landing.con
        ensure_raw_table(con, spec)
        con.execute("create or replace temp table _jira_listed (id varchar)")
        after = 0
        while True:
            jql = self.issue_jql(scope, request.start, None, f"id > {after}", order="id ASC")
            _, (count, last_id, is_last) = self.http.get(
                SEARCH, {"jql": jql, "fields": "id", "maxResults": "5000"}, stream=spec.name,
                window=request.window, validate=lambda r, body: _stage_ids(con, body),
            )
            if is_last or count == 0 or last_id is None:
                break
            after = last_id
        scope_sql = ""
        params: list = [request.start]
        if scope:
            scope_sql = " and project_key in (" + ", ".join("?" for _ in scope) + ")"
            params += scope
        gone = [row[0] for row in con.execute(
            f"""select id from {spec.table}
                where not _is_deleted and updated_at >= ?{scope_sql}
                  and id not in (select id from _jira_listed)""", params).fetchall()]
        con.execute("drop table if exists _jira_listed")
        if gone:
            log.info("jira/issues: %d issue(s) no longer exist at the source; flagging them deleted", len(gone))
        landing.deleted(gone)

    # -- JSM feedback ---------------------------------------------------------------------------

    def _read_feedback(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        issues = next(s for s in self.STREAMS if s.name == "issues")
        ensure_raw_table(landing.con, issues)
        # A rating sets the issue's Satisfaction field: ask only for rated requests (one call
        # each); on a site without that field, ask for every resolved request (404 = none).
        rated_field = self.field_ids(spec.name, request).get("Satisfaction")
        self._stage_resolved_issues(landing.con, issues, request, rated_field)
        after: tuple[datetime, str] | None = None
        try:
            while True:
                batch = self._resolved_issues(landing.con, after)
                if not batch:
                    return
                items: list[str] = []
                for issue_id, key, updated_raw, _ in batch:
                    response, feedback = self.http.get(
                        f"/rest/servicedeskapi/request/{issue_id}/feedback", stream=spec.name,
                        window=request.window, ok_statuses=(200, 404), validate=_feedback_body,
                    )
                    if response.status_code == 200 and feedback:
                        context = json.dumps({"id": issue_id, "key": key, "updated": updated_raw})
                        items.append('{"issue":' + context + ',"feedback":' + feedback + "}")
                if items:
                    landing.page('{"values":[' + ",".join(items) + "]}")
                last = batch[-1]
                after = (last[3], last[0])
                if request.mode == "incremental":
                    landing.checkpoint({"updated_at": last[3].isoformat(), "id": last[0]})
        finally:
            landing.con.execute("drop table if exists _jira_feedback_candidates")

    @staticmethod
    def _stage_resolved_issues(con: duckdb.DuckDBPyConnection, issues: StreamSpec, request: ReadRequest,
                               rated_field: str | None) -> None:
        """The landed, resolved (and, if the site has the field, rated) issues updated in the
        window, found in one pass over the raw issues: finding each batch of 200 with its own
        pass parsed every remaining issue's JSON again (quadratic: hours on a million issues)."""
        # One parse per record for every field read (an issue's JSON holds its whole changelog:
        # parsing it once per expression ran out of the loader's memory on a million issues).
        # A rating that is JSON null reads as NULL, like a missing one.
        paths = ["$.fields.updated", "$.fields.status.statusCategory.key"]
        if rated_field:
            paths.append(f'$.fields."{rated_field}"')
        rated = "and f[3] is not null" if rated_field else ""
        con.execute(
            f"""create or replace temp table _jira_feedback_candidates as
                select id, key, f[1] as updated_raw, updated_at
                from (select id, key, updated_at, json_extract_string(record, $paths) as f
                      from {issues.table}
                      where not _is_deleted and updated_at >= $start and updated_at < $end)
                where f[2] = 'done' {rated}""",
            {"paths": paths, "start": request.start, "end": request.end},
        )

    @staticmethod
    def _resolved_issues(con: duckdb.DuckDBPyConnection, after: tuple[datetime, str] | None,
                         ) -> list[tuple[str, str, str, datetime]]:
        """The next batch of candidates (``_stage_resolved_issues``) in (updated_at, id) order."""
        conditions, params = "", []
        if after is not None:
            conditions = "where updated_at > ? or (updated_at = ? and id > ?)"
            params = [after[0], after[0], after[1]]
        return con.execute(
            f"""select id, key, updated_raw, updated_at from _jira_feedback_candidates {conditions}
                order by updated_at, id limit {FEEDBACK_BATCH}""",
            params,
        ).fetchall()


# -- page helpers (DuckDB reads the bodies; Python only sees the envelope) --------------------------


class _Page:
    __slots__ = ("count", "is_last", "last_key", "next_token", "truncated")

    def __init__(self, count: int, is_last: bool, next_token: str | None, last_key: tuple[int, int] | None,
                 truncated: list[str]) -> None:
        self.count, self.is_last, self.next_token = count, is_last, next_token
        self.last_key, self.truncated = last_key, truncated


def _summarise(con: duckdb.DuckDBPyConnection, body: bytes) -> _Page:
    """Envelope and keyset of a search page in one parse: isLast, nextPageToken, the greatest
    (updated ms, id) among its records, and the issues whose embedded changelog is incomplete
    (``changelog.total`` above the histories it holds, ``maxResults``)."""
    try:
        row = con.execute(
            """
            with doc as materialized (
                select from_json($body, '{"issues": ["json"], "isLast": "boolean", "nextPageToken": "varchar"}') as d
            ),
            keyed as materialized (
                select epoch_ms(try_cast(v[1] as timestamptz)) as updated_ms, try_cast(v[2] as bigint) as issue_id,
                       v[2] as id, coalesce(try_cast(v[3] as bigint), 0) as total,
                       coalesce(try_cast(v[4] as bigint), json_array_length(rec, '$.changelog.histories'), 0) as held
                from (select rec, json_extract_string(rec, ['$.fields.updated', '$.id', '$.changelog.total',
                                                            '$.changelog.maxResults']) as v
                      from (select unnest(d.issues) as rec from doc))
            )
            select (select count(*) from keyed), (select coalesce(d.isLast, false) from doc),
                   (select d.nextPageToken from doc),
                   (select max((updated_ms, issue_id)) from keyed
                    where updated_ms is not null and issue_id is not null),
                   (select coalesce(list(id order by id), []) from keyed where total > held and id is not null)
            """,
            {"body": body.decode("utf-8")},
        ).fetchall()[0]
    except (duckdb.InvalidInputException, duckdb.ConversionException, UnicodeDecodeError) as exc:
        raise MalformedBody(str(exc)[:300]) from exc
    count, is_last, token, key, truncated = row
    if not is_last and token is None and count == 0:
        is_last = True  # an empty page without a token cannot lead anywhere
    last_key = (int(key[0]), int(key[1])) if key is not None else None
    return _Page(count, bool(is_last), token, last_key, list(truncated))


def _stage_histories(con: duckdb.DuckDBPyConnection, issue_id: str, start: int, body: bytes) -> dict:
    """Append one page of ``/issue/{id}/changelog`` values to ``_jira_histories``."""
    check_json_object(body)
    text = body.decode("utf-8", "replace")
    try:
        count, is_last = con.execute(
            """with doc as (select json($body) as j)
               select coalesce(json_array_length(j->'$.values'), 0),
                      coalesce((j->>'$.isLast')::boolean, true) from doc""",
            {"body": text},
        ).fetchall()[0]
        con.execute(
            """insert into _jira_histories
               select $issue, $start + ord, history from (
                   select unnest(recs) as history, generate_subscripts(recs, 1) as ord
                   from (select from_json(json($body)->'$.values', '["json"]') as recs))""",
            {"body": text, "issue": issue_id, "start": start},
        )
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        raise MalformedBody(str(exc)[:300]) from exc
    return {"count": count, "is_last": bool(is_last)}


def _stage_ids(con: duckdb.DuckDBPyConnection, body: bytes) -> tuple[int, int | None, bool]:
    check_json_object(body)
    try:
        con.execute(
            """insert into _jira_listed
               select unnest(from_json(json($body)->'$.issues', '["json"]'))->>'id'""",
            {"body": body.decode("utf-8")},
        )
        count, last_id, is_last = con.execute(
            """with doc as (select json($body) as j),
                    ids as (select try_cast(unnest(from_json(j->'$.issues', '["json"]'))->>'id' as bigint) as id
                            from doc)
               select (select count(*) from ids), (select max(id) from ids),
                      coalesce((select (j->>'$.isLast')::boolean from doc), false)""",
            {"body": body.decode("utf-8")},
        ).fetchall()[0]
    except (duckdb.InvalidInputException, duckdb.ConversionException, UnicodeDecodeError) as exc:
        raise MalformedBody(str(exc)[:300]) from exc
    return count, last_id, bool(is_last)


def _json_array(body: bytes) -> bytes:
    stripped = body.strip()
    if not (stripped.startswith(b"[") and stripped.endswith(b"]")):
        raise MalformedBody(f"body is not a complete JSON array ({len(body)} bytes)")
    return body


def _json_object(body: bytes) -> dict:
    try:
        value = json.loads(body)
    except ValueError as exc:
        raise MalformedBody(f"invalid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise MalformedBody("body is not a JSON object")
    return value


def _feedback_body(response: requests.Response, body: bytes) -> str | None:
    """The CSAT body as text (validated, never reshaped), or None on 404 (no feedback given)."""
    if response.status_code == 404:
        return None
    check_json_object(body)
    try:
        json.loads(body)
    except ValueError as exc:
        raise MalformedBody(f"invalid JSON: {exc}") from exc
    return body.decode("utf-8")

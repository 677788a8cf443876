"""ServiceNow Table API connector.

Reads tables incrementally on ``sys_updated_on`` (a UTC ``YYYY-MM-DD HH:MM:SS``
string in DB-value mode) with **keyset paging** on ``(sys_updated_on, sys_id)``:
each page asks for rows after the last key read, so records updated while we
page can never shift a not-yet-read row past us (plain offset paging can).
Offset paging is kept only as a fallback for pages that ACLs emptied (the limit
is applied before ACL evaluation, so a page can be empty while more rows exist):
we never stop on a short or empty page, only when the ``Link`` header has no
``rel="next"``.

**Deletes.** ServiceNow records every delete of an audited table in
``sys_audit_delete`` (``tablename``, ``documentkey`` = the deleted sys_id,
``sys_created_on`` = when). After a stream's records, its read pages through the
audit rows of its table created since the last scan (keyset on ``sys_created_on``,
``sys_id``) and flags those ids deleted in the raw table, in the same transaction as
the stream's cursor (which remembers the newest audit row as ``deletes_since``). Reading
``sys_audit_delete`` needs extra rights; when the table answers 403, or ACLs hide its
rows, the connector says so in the log and falls back to **reconciliation**: an
incremental read then pages through every sys_id of the table (ids only) and flags
the ids we hold that the source no longer has (skipped, with a warning, when ACLs
hide some of the table's rows, since hidden rows would look deleted).

Environment: ``SERVICENOW_INSTANCE_URL``, ``SERVICENOW_USERNAME`` and
``SERVICENOW_PASSWORD`` (or ``SERVICENOW_TOKEN`` for an OAuth bearer token);
optional ``SERVICENOW_API_VERSION`` (``v1``/``v2``; v1 answers 404 on empty results),
``SERVICENOW_PAGE_SIZE`` (default 5000), ``SERVICENOW_MAX_REQUESTS_PER_MINUTE``.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

import duckdb
import requests

from connectors.core.base import EPOCH, Connector, ReadRequest
from connectors.core.config import env, env_secret, register_basic_auth, require
from connectors.core.errors import AuthError, ConfigError, SourceAPIError, Window
from connectors.core.http import MalformedBody, RequestBudget, SourceHTTP, check_json_object
from connectors.core.landing import Landing, StreamSpec

SOURCE = "servicenow"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
AUDIT_TABLE = "sys_audit_delete"

log = logging.getLogger("itops.connectors.servicenow")

#: A keyset position: (stamp as 'YYYY-MM-DD HH:MM:SS', sys_id).
Key = tuple[str, str]


def table_stream(
    table: str, description: str, columns: dict[str, tuple[str, str]] | None = None, *, is_reference: bool = False
) -> StreamSpec:
    """A Table API table keyed on sys_id and versioned by sys_updated_on."""
    return StreamSpec(
        source=SOURCE,
        name=table,
        records_path="$.result",
        primary_key="rec->>'sys_id'",
        updated_raw="rec->>'sys_updated_on'",
        updated_at="try_strptime(rec->>'sys_updated_on', '%Y-%m-%d %H:%M:%S') at time zone 'UTC'",
        columns=columns or {},
        description=description,
        is_reference=is_reference,
    )


STREAMS = [
    table_stream("sys_user_group", "One row per ServiceNow assignment group (our teams).", is_reference=True),
    table_stream("sys_user", "One row per ServiceNow user: IT staff and the requesters who raise tickets.",
                 is_reference=True),
    table_stream("sys_user_grmember", "One row per (user, group) membership.", is_reference=True),
    table_stream("cmdb_ci_service", "One row per business service (the services tickets are raised against).",
                 is_reference=True),
    table_stream("cmn_location", "One row per location (sites users and requesters belong to).", is_reference=True),
    table_stream("contract_sla", "One row per SLA definition: target (response/resolution), duration, schedule.",
                 is_reference=True),
    table_stream("asmt_metric", "One row per survey question (asmt_metric): data type and scale.",
                 is_reference=True),
    table_stream(
        "incident",
        "One row per ServiceNow incident (latest version), from /api/now/table/incident.",
        {"number": ("rec->>'number'", "varchar")},
    ),
    table_stream("task_sla", "One row per SLA attached to a task: stage, breach, elapsed and paused time."),
    table_stream("metric_instance",
                 "One row per interval an incident kept one state (Incident State Duration) or one assignment "
                 "group (Assignment Group): ServiceNow's own status history."),
    table_stream("change_request", "One row per change request (latest version): type, risk, planned/actual "
                 "times, close code."),
    table_stream("problem", "One row per problem (latest version), with the incident that first reported it."),
    table_stream("asmt_assessment_instance",
                 "One row per survey sent (asmt_assessment_instance): the incident that triggered it, state, "
                 "when it was taken."),
    table_stream("asmt_metric_result", "One row per answered survey question: actual_value and string_value."),
]

#: Server-side filters: only the rows the models use (a real instance's metric_instance
#: holds every metric definition, for every task table).
BASE_QUERIES: dict[str, str] = {
    "metric_instance": "table=incident^fieldINincident_state,assignment_group",
}


def sn_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_sn_timestamp(text: str) -> datetime:
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def keyset_query(stamp: str, start: datetime, end: datetime, key: Key | None, base: str = "") -> str:
    """Rows with ``start <= stamp < end`` after ``key`` in (stamp, sys_id) order, as an encoded query."""
    order = f"^ORDERBY{stamp}^ORDERBYsys_id"
    scope = f"^{stamp}<{sn_timestamp(end)}" + (f"^{base}" if base else "")
    if key is None:
        return f"{stamp}>={sn_timestamp(start)}{scope}{order}"
    ts, sys_id = key
    # (stamp > ts) OR (stamp = ts AND sys_id > last): the rest of the key order.
    return f"{stamp}>{ts}{scope}^NQ{stamp}={ts}^sys_id>{sys_id}" + (f"^{base}" if base else "") + order


class AuditUnreadable(Exception):
    """sys_audit_delete cannot be read (403, or ACLs hide its rows)."""


class ServiceNowConnector(Connector):
    source = SOURCE
    STREAMS = STREAMS
    required_env = ("SERVICENOW_INSTANCE_URL",)

    def __init__(self, http: SourceHTTP, *, api_version: str | None = None, page_size: int = 5000, **kwargs) -> None:
        super().__init__(http, **kwargs)
        self.api_version = api_version
        self.page_size = page_size
        #: why sys_audit_delete could not be read in this run (asked once per connector)
        self.audit_unreadable: str | None = None
        self._probe_con: duckdb.DuckDBPyConnection | None = None

    @classmethod
    def enabled(cls) -> bool:
        return bool(env("SERVICENOW_INSTANCE_URL")) and bool(
            env("SERVICENOW_TOKEN") or (env("SERVICENOW_USERNAME") and env("SERVICENOW_PASSWORD"))
        )

    @classmethod
    def from_env(cls) -> ServiceNowConnector:
        base = require("SERVICENOW_INSTANCE_URL", SOURCE, hint="e.g. https://acme.service-now.com")
        token = env_secret("SERVICENOW_TOKEN")
        auth = None
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        else:
            user = require("SERVICENOW_USERNAME", SOURCE)
            password = env_secret("SERVICENOW_PASSWORD")
            if not password:
                raise ConfigError("neither SERVICENOW_PASSWORD nor SERVICENOW_TOKEN is set", source=SOURCE,
                                  hint="set SERVICENOW_USERNAME and SERVICENOW_PASSWORD, or SERVICENOW_TOKEN")
            register_basic_auth(user, password)
            auth = requests.auth.HTTPBasicAuth(user, password)
        per_minute = env("SERVICENOW_MAX_REQUESTS_PER_MINUTE")
        http = SourceHTTP(
            SOURCE, base, headers=headers, auth=auth,
            budget=RequestBudget(int(per_minute), 60.0) if per_minute else None,
            credentials_hint="check SERVICENOW_USERNAME/SERVICENOW_PASSWORD (or SERVICENOW_TOKEN) and that the "
            "user has the rest_service role and read ACLs on the table",
        )
        version = env("SERVICENOW_API_VERSION")
        if version not in (None, "v1", "v2"):
            raise ConfigError(f"SERVICENOW_API_VERSION={version!r}", source=SOURCE, hint="use v1, v2 or leave unset")
        return cls(http, api_version=version, page_size=int(env("SERVICENOW_PAGE_SIZE", "5000")))

    def path(self, table: str) -> str:
        return f"/api/now/{self.api_version}/table/{table}" if self.api_version else f"/api/now/table/{table}"

    # -- reading ---------------------------------------------------------------------------------

    def read(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        cursor = dict(request.cursor or {})
        start = request.start
        if spec.is_reference and request.mode == "full":
            start = EPOCH  # a full read of reference data covers all of it, whatever ITOPS_START_DATE says
        cursor = self._read_records(spec, request, landing, start, cursor)
        self._read_deletes(spec, request, landing, cursor)

    def reconcile_where(self, spec: StreamSpec, request: ReadRequest) -> str | None:
        """A full read judges only the rows it could have returned: those last updated inside its window."""
        if spec.is_reference:
            return None
        return (f"updated_at >= '{request.start.isoformat()}'::timestamptz "
                f"and updated_at < '{request.end.isoformat()}'::timestamptz")

    def _read_records(
        self, spec: StreamSpec, request: ReadRequest, landing: Landing, start: datetime, cursor: dict
    ) -> dict:
        """Every record updated in [start, end), keyset-paged; returns the cursor reached.

        Pages land on the landing's background worker: the next page's key is read from the
        tail of the body just fetched (the server's own sort order), so the next request goes
        out while DuckDB is still staging and committing this one.
        """
        base = BASE_QUERIES.get(spec.name, "")

        def consume(body: bytes) -> tuple[int, Key | None]:
            try:
                text = body.decode("utf-8")  # once: the key probe and the landing both read it
            except UnicodeDecodeError as exc:
                raise MalformedBody(str(exc)[:300]) from exc
            count, key = self._page_tail(text)  # raises MalformedBody: the HTTP layer re-fetches
            if count and key is not None:
                landing.submit(text)
                return count, key
            # An empty page, or one whose last row cannot serve as a key (no sys_id, a stamp
            # that is not a ServiceNow datetime): stage it now and page on from its good rows.
            count = landing.page(text)
            last = landing.last_key()
            return count, (None if last is None or last[0] is None else (sn_timestamp(last[0]), last[1]))

        def after_page(count: int, key: Key | None, response: requests.Response, first: bool) -> None:
            if first and landing.progress is not None and response.headers.get("X-Total-Count"):
                landing.progress.expected_total = int(response.headers["X-Total-Count"])
            if count and key is not None and request.mode == "incremental":
                cursor.update(updated_at=parse_sn_timestamp(key[0]).isoformat(), id=key[1])
                landing.checkpoint(dict(cursor))  # queued behind the pages it covers

        with landing.background():
            self._pages(
                spec.name, stream=spec.name, window=request.window,
                query=lambda key: keyset_query("sys_updated_on", start, request.end, key, base),
                consume=consume, after_page=after_page,
            )
        return cursor

    def _page_tail(self, body: str) -> tuple[int, Key | None]:
        """The number of records in a page and the key of its last one, read by DuckDB (~15 ms for
        5,000 incidents; no Python parse), on its own in-memory database.

        The key is None when the last record has no sys_id or its stamp is not a ServiceNow
        datetime. A body DuckDB cannot parse raises MalformedBody (a broken page, re-fetched).
        """
        try:
            count, (stamp, sys_id) = self._probe().execute(
                """select json_array_length($body, '$.result'),
                          json_extract_string($body, ['$.result[#-1].sys_updated_on', '$.result[#-1].sys_id'])""",
                {"body": body},
            ).fetchone()
        except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
            raise MalformedBody(str(exc)[:300]) from exc
        if count is None:
            raise MalformedBody("the body has no result array")
        try:
            parse_sn_timestamp(stamp or "")
        except ValueError:
            return count, None
        return count, ((stamp, sys_id) if sys_id else None)

    def _probe(self) -> duckdb.DuckDBPyConnection:
        # Its own in-memory database: the warehouse connection belongs to the landing worker.
        if self._probe_con is None:
            self._probe_con = duckdb.connect(config={"threads": 1})
        return self._probe_con

    def _pages(
        self,
        table: str,
        *,
        stream: str,
        window: Window,
        query: Callable[[Key | None], str],
        consume: Callable[[bytes], tuple[int, Key | None]],
        after_page: Callable[[int, Key | None, requests.Response, bool], None] | None = None,
        fields: str | None = None,
    ) -> int | None:
        """Page through ``table`` to the true end; returns the first page's X-Total-Count.

        ``consume`` stages a page body and returns (records, last key read). The next page
        asks for rows after that key; a page ACLs emptied is stepped over by offset.
        """
        key: Key | None = None
        offset = 0
        total: int | None = None
        first = True
        while True:
            params = {
                "sysparm_query": query(key),
                "sysparm_limit": str(self.page_size),
                "sysparm_offset": str(offset),
                "sysparm_display_value": "false",
                "sysparm_exclude_reference_link": "false",
            }
            if fields:
                params["sysparm_fields"] = fields

            def stage(response: requests.Response, body: bytes) -> tuple[int, Key | None]:
                if response.status_code == 404:
                    if b"No Record found" in body:  # v1's way of saying "empty"
                        return 0, None
                    raise SourceAPIError(f"HTTP 404 for table {table}", status=404, source=SOURCE,
                                         stream=stream, window=window,
                                         hint="check the table name and the instance URL")
                check_json_object(body)
                return consume(body)

            response, (count, last) = self.http.get(
                self.path(table), params, stream=stream, window=window, ok_statuses=(200, 404), validate=stage
            )
            if first and response.headers.get("X-Total-Count"):
                total = int(response.headers["X-Total-Count"])
            if after_page is not None:
                after_page(count, last, response, first)
            first = False
            has_next = "next" in response.links
            if count and last is not None:
                key, offset = last, 0
            elif has_next:
                offset += self.page_size  # a page emptied by ACLs: step over it, never stop early
            if not has_next:
                break
        return total

    # -- deletes ---------------------------------------------------------------------------------

    def _read_deletes(self, spec: StreamSpec, request: ReadRequest, landing: Landing, cursor: dict) -> None:
        """Flag the stream's deleted records from sys_audit_delete, or by reconciliation when unreadable.

        The scan starts where the last one found its newest audit row (``deletes_since``, in the
        source's own time, less the overlap for late commits), or with the read's own window.
        """
        since = request.start
        previous = (request.cursor or {}).get("deletes_since") if request.mode == "incremental" else None
        if previous:
            since = datetime.fromisoformat(str(previous)) - self.settings.overlap
        try:
            if self.audit_unreadable:
                raise AuditUnreadable(self.audit_unreadable)
            newest = self._audit_deletes(spec, request, landing, since)
        except AuditUnreadable as exc:
            newest = None
            first_time = self.audit_unreadable is None
            self.audit_unreadable = str(exc)
            if request.mode == "incremental":
                (log.warning if first_time else log.info)(
                    "%s/%s: %s is not readable (%s); finding deleted %s records by reconciling their ids "
                    "against the source instead. Grant the integration user read access to %s to capture "
                    "deletes incrementally.", SOURCE, spec.name, AUDIT_TABLE, exc, spec.name, AUDIT_TABLE)
                self._reconcile_ids(spec, request, landing)
            elif request.mode == "backfill":
                (log.warning if first_time else log.info)(
                    "%s/%s: %s is not readable (%s); a backfill does not capture deletes (the next "
                    "incremental read reconciles ids).", SOURCE, spec.name, AUDIT_TABLE, exc)
        moved = newest is not None and (previous is None or newest > datetime.fromisoformat(str(previous)))
        if request.mode in ("incremental", "full") and moved:
            cursor["deletes_since"] = newest.isoformat()
            landing.checkpoint(dict(cursor))

    def _audit_deletes(
        self, spec: StreamSpec, request: ReadRequest, landing: Landing, since: datetime
    ) -> datetime | None:
        """Stage the tombstones of ``spec``'s table created in [since, end); returns the newest stamp seen."""
        tombstones: dict[datetime, list[str]] = defaultdict(list)
        seen = 0

        def consume(body: bytes) -> tuple[int, Key | None]:
            nonlocal seen
            rows = json.loads(body).get("result") or []
            last: Key | None = None
            for row in rows:
                stamp, doc, sys_id = row.get("sys_created_on") or "", row.get("documentkey") or "", row.get("sys_id")
                try:
                    deleted_at = parse_sn_timestamp(stamp)
                except ValueError:
                    log.warning("%s/%s: skipping %s row %s with unparseable sys_created_on %r",
                                SOURCE, spec.name, AUDIT_TABLE, sys_id, stamp)
                    continue
                if doc:
                    tombstones[deleted_at].append(doc)
                if sys_id and (last is None or (stamp, sys_id) > last):
                    last = (stamp, sys_id)
            seen += len(rows)
            return len(rows), last

        try:
            total = self._pages(
                AUDIT_TABLE, stream=spec.name, window=request.window,
                query=lambda key: keyset_query("sys_created_on", since, request.end, key, f"tablename={spec.name}"),
                consume=consume, fields="sys_id,tablename,documentkey,sys_created_on",
            )
        except AuthError as exc:
            if exc.status == 403:
                raise AuditUnreadable("HTTP 403: the integration user lacks read access") from exc
            raise
        if total is not None and seen < total:
            raise AuditUnreadable(f"ACLs hide {total - seen} of its {total} rows for {spec.name}")
        for moment, ids in sorted(tombstones.items()):
            landing.deleted(ids, moment)
        return max(tombstones, default=None)

    def _reconcile_ids(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        """Flag the records we hold that the source no longer has (ids only, the whole table)."""
        con, census = landing.con, f"_census_{spec.name}"
        base = BASE_QUERIES.get(spec.name, "")
        con.execute(f"create or replace temp table {census} (id varchar)")
        try:
            def consume(body: bytes) -> tuple[int, Key | None]:
                (count,) = con.execute(
                    f"""insert into {census}
                        select r->>'sys_id' from (select unnest(from_json(json($body)->'$.result', '["json"]')) as r)
                        where nullif(r->>'sys_id', '') is not null""",
                    {"body": body.decode("utf-8")},
                ).fetchall()[0]
                (top,) = con.execute(f"select max(id) from {census}").fetchall()[0]
                return count, (None if top is None else ("", top))

            total = self._pages(
                spec.name, stream=spec.name, window=request.window,
                query=lambda key: "^".join(p for p in (base, f"sys_id>{key[1]}" if key else "", "ORDERBYsys_id") if p),
                consume=consume, fields="sys_id",
            )
            (seen,) = con.execute(f"select count(distinct id) from {census}").fetchall()[0]
            (held,) = con.execute(f"select count(*) from {spec.table} where not _is_deleted").fetchall()[0]
            if total is not None and seen < total:
                log.warning("%s/%s: ACLs hide %d of the %d records from the id reconciliation; no deletes "
                            "flagged this run (hidden records would look deleted)", SOURCE, spec.name,
                            total - seen, total)
                return
            if seen == 0 and held:
                log.warning("%s/%s: the source returned no ids at all while we hold %d live records; no deletes "
                            "flagged (check the integration user's read ACLs)", SOURCE, spec.name, held)
                return
            gone = [i for (i,) in con.execute(
                f"select id from {spec.table} where not _is_deleted and id not in (select id from {census})"
            ).fetchall()]
            if gone:
                log.info("%s/%s: %d record(s) no longer at the source, flagged deleted", SOURCE, spec.name, len(gone))
            landing.deleted(gone, datetime.now(UTC))
        finally:
            con.execute(f"drop table if exists {census}")

"""Fake ServiceNow Table API (``/api/now/table/{table}``, ``/api/now/v1|v2/table/{table}``).

Wire format per source-apis.md section 1: ``{"result": [...]}`` envelopes; every
value a string, empty values ``""``; reference fields ``{"link", "value"}`` (or the
bare sys_id with ``sysparm_exclude_reference_link=true``), empty references ``""``;
``YYYY-MM-DD HH:MM:SS`` UTC datetimes; offset paging with ``Link`` (first/prev/next/last,
prev carrying offset -1 on the first page) and ``X-Total-Count`` headers; v1 answers
404 on an empty result, v2 ``200 []``; encoded queries with ``^``, ``^OR``, ``^NQ`` and
``ORDERBY``/``ORDERBYDESC``, unknown fields silently ignored; Basic or Bearer auth.

``acl_hidden_sql`` simulates ACLs: matching rows occupy their place in the
``sysparm_limit`` window but are not returned (the limit is applied before ACL
evaluation), so pages come back short or empty mid-stream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from connectors.fakes.base import FakeAPI, OrgStore, Request, Response, basic_credentials, bearer_token, used_params

#: stands for the instance URL in pre-rendered rows; replaced per response (the host varies)
BASE_MARK = "@@ITOPS_FAKE_BASE@@"

STATE_CODE = "case {s} when 'new' then '1' when 'in_progress' then '2' when 'on_hold' then '3' " \
             "when 'resolved' then '6' when 'closed' then '7' when 'canceled' then '8' end"


def sys_id(kind: str, column: str) -> str:
    """The deterministic sys_id of a synthetic entity, as SQL."""
    return f"md5('{kind}:' || cast({column} as varchar))"


def ts(column: str) -> str:
    return f"coalesce(strftime({column}, '%Y-%m-%d %H:%M:%S'), '')"


@dataclass(frozen=True)
class TableDef:
    """A table the fake serves: a snapshot query (over the org store, using $clock) and
    its fields, each ``(name, reference_table or None)``, in the order the API returns them."""

    snapshot_sql: str
    fields: list[tuple[str, str | None]]


INCIDENT_SQL = f"""
with version as (
    select * from ticket_events where event_at <= $clock
    qualify row_number() over (partition by ticket_id order by seq desc) = 1
),
numbered as (
    select ticket_id, row_number() over (order by ticket_id) as n from tickets where source = 'servicenow'
),
targets as (
    select * from (values (1, 4), (2, 8), (3, 24), (4, 72), (5, 120)) as t(priority, hours)
)
select
    {sys_id('incident', 't.ticket_id')} as sys_id,
    'INC' || lpad(cast(numbered.n as varchar), 7, '0') as number,
    {STATE_CODE.format(s='version.status')} as state,
    {STATE_CODE.format(s='version.status')} as incident_state,
    case when version.status in ('new', 'in_progress', 'on_hold') then 'true' else 'false' end as active,
    cast(version.priority as varchar) as priority,
    case version.priority when 1 then '1' when 2 then '1' when 3 then '2' when 4 then '2' else '3' end as impact,
    case version.priority when 1 then '1' when 2 then '2' when 3 then '2' when 4 then '3' else '3' end as urgency,
    case version.priority when 1 then '1' when 2 then '2' when 3 then '3' else '4' end as severity,
    t.category as category,
    '' as subcategory,
    t.channel as contact_type,
    t.short_description as short_description,
    t.short_description || ' (reported via ' || t.channel || ')' as description,
    {sys_id('sys_user_group', 'version.team_id')} as assignment_group,
    coalesce({sys_id('sys_user', 'version.assignee_id')}, '') as assigned_to,
    {sys_id('sys_user:req', 't.requester_id')} as caller_id,
    {sys_id('sys_user:req', 't.requester_id')} as opened_by,
    case when version.resolved_at is not null then coalesce({sys_id('sys_user', 'version.assignee_id')}, '')
         else '' end as resolved_by,
    '' as closed_by,
    {sys_id('cmdb_ci_service', 't.service_id')} as business_service,
    {sys_id('cmdb_ci_service', 't.service_id')} as cmdb_ci,
    {sys_id('cmn_location', 'requesters.region')} as location,
    'global' as sys_domain,
    '/' as sys_domain_path,
    {ts('t.opened_at')} as opened_at,
    {ts('t.opened_at')} as sys_created_on,
    'admin' as sys_created_by,
    {ts('version.event_at')} as sys_updated_on,
    'system' as sys_updated_by,
    cast(version.seq as varchar) as sys_mod_count,
    {ts('version.resolved_at')} as resolved_at,
    {ts('version.closed_at')} as closed_at,
    case when version.resolved_at is null then ''
         else cast(cast(epoch(version.resolved_at - t.opened_at) as bigint) as varchar) end as calendar_stc,
    case when version.closed_at is null then ''
         else strftime(timestamp '1970-01-01' + to_seconds(cast(epoch(version.closed_at - t.opened_at) as bigint)),
                       '%Y-%m-%d %H:%M:%S') end as calendar_duration,
    '' as business_stc,
    '' as business_duration,
    cast(version.reassignment_count as varchar) as reassignment_count,
    cast(version.reopen_count as varchar) as reopen_count,
    case when version.status = 'on_hold' then '1' else '' end as hold_reason,
    case when version.status in ('resolved', 'closed') then 'Solved (Permanently)'
         when version.status = 'canceled' then 'Canceled' else '' end as close_code,
    case when version.status in ('resolved', 'closed') then 'Resolved by ' || 'assignment group' else '' end
        as close_notes,
    {ts('t.opened_at + to_hours(targets.hours)')} as sla_due,
    case when version.resolved_at is null then ''
         when version.resolved_at <= t.opened_at + to_hours(targets.hours) then 'true' else 'false' end as made_sla,
    case when version.priority = 1 then 'accepted' else '' end as major_incident_state,
    '' as problem_id,
    '' as parent_incident,
    '' as caused_by,
    '' as rfc,
    'false' as knowledge,
    '0' as escalation,
    '1' as notify,
    '' as work_notes,
    '' as comments,
    '' as sys_tags,
    'incident' as sys_class_name,
    'not requested' as approval,
    '' as correlation_id,
    '' as due_date
from tickets t
join numbered using (ticket_id)
join version using (ticket_id)
join requesters using (requester_id)
join targets on targets.priority = t.initial_priority
where t.source = 'servicenow' and not version.is_deleted
"""

INCIDENT_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("number", None), ("state", None), ("incident_state", None), ("active", None),
    ("priority", None), ("impact", None), ("urgency", None), ("severity", None), ("category", None),
    ("subcategory", None), ("contact_type", None), ("short_description", None), ("description", None),
    ("assignment_group", "sys_user_group"), ("assigned_to", "sys_user"), ("caller_id", "sys_user"),
    ("opened_by", "sys_user"), ("resolved_by", "sys_user"), ("closed_by", "sys_user"),
    ("business_service", "cmdb_ci_service"), ("cmdb_ci", "cmdb_ci"), ("location", "cmn_location"),
    ("sys_domain", "sys_user_group"), ("sys_domain_path", None), ("opened_at", None), ("sys_created_on", None),
    ("sys_created_by", None), ("sys_updated_on", None), ("sys_updated_by", None), ("sys_mod_count", None),
    ("resolved_at", None), ("closed_at", None), ("calendar_stc", None), ("calendar_duration", None),
    ("business_stc", None), ("business_duration", None), ("reassignment_count", None), ("reopen_count", None),
    ("hold_reason", None), ("close_code", None), ("close_notes", None), ("sla_due", None), ("made_sla", None),
    ("major_incident_state", None), ("problem_id", "problem"), ("parent_incident", "incident"),
    ("caused_by", "change_request"), ("rfc", "change_request"), ("knowledge", None), ("escalation", None),
    ("notify", None), ("work_notes", None), ("comments", None), ("sys_tags", None), ("sys_class_name", None),
    ("approval", None), ("correlation_id", None), ("due_date", None),
]

# People: IT staff (who work tickets) and requesters (who raise them) are both sys_users.
SYS_USER_SQL = f"""
select
    {sys_id('sys_user', 'p.person_id')} as sys_id,
    lower(p.first_name || '.' || p.last_name || cast(p.person_id as varchar)) as user_name,
    p.first_name as first_name, p.last_name as last_name, p.first_name || ' ' || p.last_name as name,
    p.email as email, p.role as title,
    case when p.leave_date is null or p.leave_date > cast($clock as date) then 'true' else 'false' end as active,
    t.timezone as time_zone,
    {sys_id('cmn_location', 't.region')} as location,
    '' as department, '' as manager, '' as phone,
    {ts("cast(p.hire_date as timestamptz) + interval 8 hour")} as sys_created_on,
    {ts("cast(greatest(p.hire_date, case when p.leave_date <= cast($clock as date) then p.leave_date end) "
        "as timestamptz) + interval 8 hour")} as sys_updated_on,
    'false' as locked_out
from people p join teams t using (team_id)
where p.hire_date <= cast($clock as date)
union all
select
    {sys_id('sys_user:req', 'r.requester_id')}, 'u' || cast(r.requester_id as varchar),
    r.first_name, r.last_name, r.first_name || ' ' || r.last_name, r.email, '', 'true', '',
    {sys_id('cmn_location', 'r.region')}, r.business_unit, '', '',
    {ts("cast(meta.start_date as timestamptz) - interval 400 day")},
    {ts("cast(meta.start_date as timestamptz) - interval 400 day")}, 'false'
from requesters r cross join meta
"""

SYS_USER_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("user_name", None), ("first_name", None), ("last_name", None), ("name", None),
    ("email", None), ("title", None), ("active", None), ("time_zone", None), ("location", "cmn_location"),
    ("department", None), ("manager", "sys_user"), ("phone", None), ("sys_created_on", None),
    ("sys_updated_on", None), ("locked_out", None),
]

SYS_USER_GROUP_SQL = f"""
select
    {sys_id('sys_user_group', 'team_id')} as sys_id,
    team_name as name,
    team_name || ' (' || team_kind || ')' as description,
    'true' as active,
    '' as manager,
    lower(replace(team_name, ' ', '-')) || '@acme-corp.example' as email,
    '' as parent,
    'itil' as type,
    {ts("cast(meta.start_date as timestamptz) - interval 365 day")} as sys_created_on,
    {ts("cast(meta.start_date as timestamptz) - interval 365 day")} as sys_updated_on
from teams cross join meta
"""

SYS_USER_GROUP_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("name", None), ("description", None), ("active", None), ("manager", "sys_user"),
    ("email", None), ("parent", "sys_user_group"), ("type", None), ("sys_created_on", None), ("sys_updated_on", None),
]

SYS_USER_GRMEMBER_SQL = f"""
select
    {sys_id('sys_user_grmember', 'person_id')} as sys_id,
    {sys_id('sys_user', 'person_id')} as "user",
    {sys_id('sys_user_group', 'team_id')} as "group",
    {ts("cast(hire_date as timestamptz) + interval 8 hour")} as sys_created_on,
    {ts("cast(hire_date as timestamptz) + interval 8 hour")} as sys_updated_on
from people
where hire_date <= cast($clock as date)
"""

SYS_USER_GRMEMBER_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("user", "sys_user"), ("group", "sys_user_group"), ("sys_created_on", None),
    ("sys_updated_on", None),
]

CMDB_CI_SERVICE_SQL = f"""
select
    {sys_id('cmdb_ci_service', 'service_id')} as sys_id,
    service_name as name,
    {sys_id('sys_user_group', 'team_id')} as support_group,
    cast(tier as varchar) as busines_criticality,
    case when is_customer_facing then 'true' else 'false' end as u_customer_facing,
    'true' as operational_status,
    {ts("cast(meta.start_date as timestamptz) - interval 365 day")} as sys_created_on,
    {ts("cast(meta.start_date as timestamptz) - interval 365 day")} as sys_updated_on
from services cross join meta
"""

CMDB_CI_SERVICE_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("name", None), ("support_group", "sys_user_group"), ("busines_criticality", None),
    ("u_customer_facing", None), ("operational_status", None), ("sys_created_on", None), ("sys_updated_on", None),
]

TABLES: dict[str, TableDef] = {
    "cmdb_ci_service": TableDef(CMDB_CI_SERVICE_SQL, CMDB_CI_SERVICE_FIELDS),
    "incident": TableDef(INCIDENT_SQL, INCIDENT_FIELDS),
    "sys_user": TableDef(SYS_USER_SQL, SYS_USER_FIELDS),
    "sys_user_group": TableDef(SYS_USER_GROUP_SQL, SYS_USER_GROUP_FIELDS),
    "sys_user_grmember": TableDef(SYS_USER_GRMEMBER_SQL, SYS_USER_GRMEMBER_FIELDS),
}


# -- encoded queries -------------------------------------------------------------------------------

_OPERATORS = ["ISNOTEMPTY", "ISEMPTY", "STARTSWITH", "ENDSWITH", "NOT LIKE", "LIKE", "NOT IN", "IN",
              ">=", "<=", "!=", ">", "<", "="]
_CONDITION = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)(" + "|".join(re.escape(o) for o in _OPERATORS) + r")(.*)$",
                        re.S)


def translate_query(encoded: str, fields: set[str]) -> tuple[str, list[str], list[tuple[str, bool]]]:
    """Encoded query -> (SQL predicate, parameters, order by [(field, descending)]).

    Conditions on unknown fields are dropped, as ServiceNow silently ignores them
    (unless glide.invalid_query.returns_no_rows is set).
    """
    params: list[str] = []
    order: list[tuple[str, bool]] = []
    queries: list[str] = []
    for block in encoded.split("^NQ") if encoded else []:
        groups: list[list[str]] = []
        for part in block.split("^"):
            if not part:
                continue
            is_or = part.startswith("OR") and _CONDITION.match(part[2:]) is not None and not part.startswith("ORDERBY")
            if part.startswith("ORDERBYDESC"):
                name = part[len("ORDERBYDESC"):]
                if name in fields:
                    order.append((name, True))
                continue
            if part.startswith("ORDERBY"):
                name = part[len("ORDERBY"):]
                if name in fields:
                    order.append((name, False))
                continue
            condition = part[2:] if is_or else part
            sql = _condition_sql(condition, fields, params)
            if sql is None:
                continue
            if is_or and groups:
                groups[-1].append(sql)
            else:
                groups.append([sql])
        if groups:
            queries.append(" and ".join("(" + " or ".join(g) + ")" for g in groups))
    where = " or ".join(f"({q})" for q in queries) if queries else "true"
    return where, params, order


def _condition_sql(condition: str, fields: set[str], params: list[str]) -> str | None:
    match = _CONDITION.match(condition)
    if not match:
        return None
    name, op, value = match.groups()
    if name not in fields:
        return None
    col = f'"{name}"'
    if op == "ISEMPTY":
        return f"{col} = ''"
    if op == "ISNOTEMPTY":
        return f"{col} <> ''"
    if op in ("IN", "NOT IN"):
        items = value.split(",")
        params.extend(items)
        marks = ", ".join("?" for _ in items)
        return f"{col} {'not ' if op == 'NOT IN' else ''}in ({marks})"
    if op == "STARTSWITH":
        params.append(value)
        return f"starts_with({col}, ?)"
    if op == "ENDSWITH":
        params.append(value)
        return f"ends_with({col}, ?)"
    if op in ("LIKE", "NOT LIKE"):
        params.append(value)
        return f"{'not ' if op == 'NOT LIKE' else ''}contains({col}, ?)"
    params.append(value)
    sql_op = "<>" if op == "!=" else op
    # Numbers compare as numbers, everything else (incl. 'YYYY-MM-DD HH:MM:SS') as text.
    if re.fullmatch(r"-?\d+(\.\d+)?", value) and name not in ("sys_id", "number"):
        return f"try_cast(nullif({col}, '') as double) {sql_op} cast(? as double)"
    return f"{col} {sql_op} ?"


# -- the fake ----------------------------------------------------------------------------------------


class FakeServiceNow(FakeAPI):
    name = "servicenow"

    def __init__(self, store: OrgStore, *, username: str = "itops", password: str = "secret-sn-password",
                 token: str | None = None, **kwargs) -> None:
        self.username, self.password, self.token = username, password, token
        #: SQL predicate over a table's fields marking rows the API user may not see
        self.acl_hidden_sql: str | None = None
        super().__init__(store, **kwargs)

    def routes(self):
        return [
            ("GET", r"/api/now/(?:(?P<version>v[12])/)?table/(?P<table>[a-z_0-9]+)", self.list_table),
            ("GET", r"/api/now/(?:(?P<version>v[12])/)?table/(?P<table>[a-z_0-9]+)/(?P<record>[0-9a-f]{32})",
             self.get_record),
        ]

    def authorize(self, request: Request) -> Response | None:
        creds = basic_credentials(request)
        if creds == (self.username, self.password):
            return None
        if self.token is not None and bearer_token(request) == self.token:
            return None
        return Response(401, {"error": {"message": "User Not Authenticated",
                                        "detail": "Required to provide Auth information"}, "status": "failure"})

    def error_body(self, status: int) -> dict:
        if status == 429:
            return {"error": {"message": "Rate limit exceeded",
                              "detail": "Rate limit of 10 requests per hour for Table API exceeded"},
                    "status": "failure"}
        return {"error": {"message": f"HTTP {status}", "detail": ""}, "status": "failure"}

    def _snapshot(self, table: str) -> tuple[str, TableDef] | None:
        definition = TABLES.get(table)
        if definition is None:
            return None
        # Each row's default JSON (all fields, reference links) is rendered once per clock,
        # with a placeholder for the host: a page is then one ordered string_agg, which keeps
        # the fake far faster than any client it serves (benchmarks measure the client).
        render = self._render_sql(definition, [f for f, _ in definition.fields], False, base=f"'{BASE_MARK}'")
        sql = f"select *, {render}::varchar as _doc from ({definition.snapshot_sql})"
        return self.store.snapshot(f"sn_{table}", sql), definition

    def _render_sql(self, definition: TableDef, fields: list[str], exclude_links: bool, base: str = "$base") -> str:
        refs = dict(definition.fields)
        parts = []
        for name in fields:
            ref = refs.get(name)
            col = f'"{name}"'
            if ref is None or exclude_links:
                parts.append(f"'{name}', {col}")
            else:
                parts.append(
                    f"'{name}', case when {col} = '' then to_json('') else "
                    f"json_object('link', {base} || '/api/now/table/{ref}/' || {col}, 'value', {col}) end"
                )
        return "json_object(" + ", ".join(parts) + ")"

    def list_table(self, request: Request, table: str, version: str | None = None) -> Response:
        snap = self._snapshot(table)
        if snap is None:
            return Response(400, {"error": {"message": "Invalid table " + table, "detail": ""}, "status": "failure"})
        snapshot, definition = snap
        all_fields = [f for f, _ in definition.fields]
        field_set = set(all_fields)
        wanted = [f for f in (request.arg("sysparm_fields") or "").split(",") if f in field_set] or all_fields
        limit = int(request.arg("sysparm_limit") or 10000)
        offset = max(int(request.arg("sysparm_offset") or 0), 0)
        where, params, order = translate_query(request.arg("sysparm_query") or "", field_set)
        order_sql = ", ".join(f'"{f}" {"desc" if d else "asc"}' for f, d in order) or '"sys_id"'
        cur = self.store.cursor()
        (total,) = cur.execute(f"select count(*) from {snapshot} where {where}", params).fetchone()
        hidden = f"({self.acl_hidden_sql})" if self.acl_hidden_sql else "false"
        exclude_links = (request.arg("sysparm_exclude_reference_link") or "false").lower() == "true"
        prerendered = wanted == all_fields and not exclude_links
        render = "_doc" if prerendered else f"{self._render_sql(definition, wanted, exclude_links)}::varchar"
        base = self._base(request)
        named = {f"p{i}": v for i, v in enumerate(params)}
        where_named = _number_params(where)
        page_sql = f"""select coalesce(string_agg(doc, ',' order by {order_sql}), '') from (
                    select {render} as doc, * exclude (_doc) from {snapshot} where {where_named}
                    order by {order_sql} limit {limit} offset {offset}
                ) where not ({hidden})"""
        rows = cur.execute(page_sql, used_params(page_sql, {**named, "base": base})).fetchone()[0]
        if prerendered:
            rows = rows.replace(BASE_MARK, base)
        headers = {"X-Total-Count": str(total)}
        if (request.arg("sysparm_suppress_pagination_header") or "false").lower() != "true":
            headers["Link"] = self._links(request, base, table, limit, offset, total)
        if version == "v1" and total == 0:
            return Response(404, {"error": {"message": "No Record found",
                                            "detail": "Records matching query not found. Check query parameter "
                                                      "or offset parameter"}, "status": "failure"}, headers)
        return Response(200, '{"result":[' + rows + "]}", headers)

    def get_record(self, request: Request, table: str, record: str, version: str | None = None) -> Response:
        snap = self._snapshot(table)
        if snap is None:
            return Response(400, {"error": {"message": "Invalid table " + table}, "status": "failure"})
        snapshot, _ = snap
        row = self.store.cursor().execute(f"select _doc from {snapshot} where sys_id = $id", {"id": record}).fetchone()
        if row is None:
            return Response(404, {"error": {"message": "No Record found", "detail": "Record doesn't exist or ACL "
                                            "restricts the record retrieval"}, "status": "failure"})
        return Response(200, '{"result":' + row[0].replace(BASE_MARK, self._base(request)) + "}")

    def _base(self, request: Request) -> str:
        return "http://" + request.headers.get("host", "127.0.0.1")

    def _links(self, request: Request, base: str, table: str, limit: int, offset: int, total: int) -> str:
        def link(off: int, rel: str) -> str:
            query = {k: v[0] for k, v in request.query.items()}
            query.update(sysparm_offset=str(off), sysparm_limit=str(limit))
            return f"<{base}{request.path}?{urlencode(query)}>;rel=\"{rel}\""

        links = [link(0, "first")]
        links.append(link(offset - limit if offset >= limit else -1, "prev"))
        if offset + limit < total:
            links.append(link(offset + limit, "next"))
        last = max(((total - 1) // limit) * limit, 0) if total else 0
        links.append(link(last, "last"))
        return ",".join(links)


def _number_params(where: str) -> str:
    """Turn positional ``?`` marks into ``$p0, $p1 ...`` so they mix with named parameters."""
    counter = iter(range(10_000))
    return re.sub(r"\?", lambda _: f"$p{next(counter)}", where)

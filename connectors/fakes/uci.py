"""The real ServiceNow event log from UCI, as an org store the fake ServiceNow can serve.

The UCI "Incident management process enriched event log" (Amaral, Fantinato, Peres; UCI
Machine Learning Repository, DOI 10.24432/C57S4H, CC BY 4.0) is an extract of a
ServiceNow instance's audit trail: each row is one update of one incident and the last
row of an incident is its final state. :func:`build_uci_store` turns it into the org
store shape the fake serves (``tickets``, ``ticket_events`` with the full state after
each update, ``teams``, ``meta``) plus the log's own fields (``uci_events``), so the real
data travels through the real wire format, our connector and dbt.

The copy we read (``../shared/datasets/uci-incident-event-log/incident_event_log.zip``)
was pre-processed by a third party; the loader undoes what it can:

* prefixes were stripped (``INC0000045`` -> ``0000045``, ``Caller 2403`` -> ``2403``,
  ``3 - Moderate`` -> ``3``): numbers get their ``INC`` back, people and groups become
  users ``Caller 2403``, ``Resolver 89``, groups ``Group 56``;
* the header spells ``incident_state`` as ``ident_state`` and ``subcategory`` as a second
  ``category``: columns are named by position;
* timestamps are day-first ``d/m/yyyy HH:MM`` with no zone (taken as UTC), ``?`` is missing.

States map to ServiceNow's codes: New 1, Active 2 (In Progress), Awaiting User Info /
Vendor / Problem / Evidence 3 (On Hold, with a hold reason), Resolved 6, Closed 7; the
five junk ``-100`` rows keep the incident's previous state. An update logged earlier
than the one before it (one in the log) is taken to happen at the previous update's time,
so every incident's history moves forward. ``resolved_at``/``closed_at`` are enriched in
the log (every row carries the final values); the served record shows them once the
incident is resolved / closed, as ServiceNow would.

Tables the log has no data for (problems, changes, surveys, business services) are
served empty; ``task_sla`` and ``metric_instance`` are derived from the real history with
the fake's SLA definitions (the log itself only carries ServiceNow's ``made_sla`` verdict).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import zipfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from connectors.fakes import servicenow_history
from connectors.fakes.servicenow_sql import TableDef, ref, sys_id, text, ts
from connectors.fakes.servicenow_tables import (
    ASMT_ASSESSMENT_INSTANCE_FIELDS,
    ASMT_METRIC_FIELDS,
    ASMT_METRIC_RESULT_FIELDS,
    CHANGE_REQUEST_FIELDS,
    CMDB_CI_SERVICE_FIELDS,
    CMN_LOCATION_FIELDS,
    INCIDENT_FIELDS,
    PROBLEM_FIELDS,
    SYS_USER_FIELDS,
    SYS_USER_GRMEMBER_FIELDS,
    SYS_USER_GROUP_FIELDS,
)

log = logging.getLogger("itops.fakes.uci")

DATASET = Path("datasets") / "uci-incident-event-log" / "incident_event_log.zip"

#: The log's columns by position (the copy's header misspells two of them).
COLUMNS = [
    "number", "incident_state", "active", "reassignment_count", "reopen_count", "sys_mod_count", "made_sla",
    "caller_id", "opened_by", "opened_at", "sys_created_by", "sys_created_at", "sys_updated_by", "sys_updated_at",
    "contact_type", "location", "category", "subcategory", "u_symptom", "cmdb_ci", "impact", "urgency", "priority",
    "assignment_group", "assigned_to", "knowledge", "u_priority_confirmation", "notify", "problem_id", "rfc",
    "vendor", "caused_by", "closed_code", "resolved_by", "resolved_at", "closed_at",
]
EXPECTED_HEADER = ["number", "ident_state", *COLUMNS[2:17], "category", *COLUMNS[18:]]


def find_dataset(start: Path | None = None) -> Path | None:
    """The zip: ``ITOPS_UCI_DATASET`` if set, else ``shared/datasets/...`` next to the repo or above it."""
    if os.environ.get("ITOPS_UCI_DATASET"):
        path = Path(os.environ["ITOPS_UCI_DATASET"])
        return path if path.exists() else None
    here = (start or Path(__file__)).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / DATASET
        if candidate.exists():
            return candidate
    return None


def read_log(zip_path: Path) -> pa.Table:
    """Every row of the log as text, in file order (``rn``), columns named by position."""
    with zipfile.ZipFile(zip_path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".csv"))
        with archive.open(name) as handle:
            header = handle.readline().decode("utf-8").strip().split(",")
            if header != EXPECTED_HEADER:
                raise ValueError(f"{zip_path}: unexpected header {header[:6]}...; expected {EXPECTED_HEADER[:6]}...")
            table = pacsv.read_csv(
                handle,
                read_options=pacsv.ReadOptions(column_names=COLUMNS),
                convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
    return table.append_column("rn", pa.array(range(len(table)), pa.int64()))


def _missing(column: str) -> str:
    return f"nullif({column}, '?')"


def _uci_timestamp(column: str) -> str:
    return f"timezone('UTC', strptime({_missing(column)}, '%d/%m/%Y %H:%M'))"


EVENTS_SQL = f"""
create table uci_events as
with parsed as (
    select
        rn,
        cast(number as bigint) as ticket_id,
        number,
        incident_state,
        case when incident_state = 'New' then 'new'
             when incident_state = 'Active' then 'in_progress'
             when incident_state like 'Awaiting%' then 'on_hold'
             when incident_state = 'Resolved' then 'resolved'
             when incident_state = 'Closed' then 'closed' end as logged_status,
        case incident_state when 'Awaiting User Info' then '1' when 'Awaiting Evidence' then '2'
             when 'Awaiting Problem' then '3' when 'Awaiting Vendor' then '4' else '' end as hold_reason,
        active, made_sla, knowledge, u_priority_confirmation, notify,
        cast(reassignment_count as integer) as reassignment_count,
        cast(reopen_count as integer) as reopen_count,
        cast(sys_mod_count as integer) as sys_mod_count,
        cast({_missing('caller_id')} as bigint) as caller_id,
        cast({_missing('opened_by')} as bigint) as opened_by,
        cast({_missing('assigned_to')} as bigint) as assigned_to,
        cast({_missing('resolved_by')} as bigint) as resolved_by,
        cast({_missing('assignment_group')} as bigint) as assignment_group,
        cast({_missing('location')} as bigint) as location,
        {_missing('sys_created_by')} as sys_created_by,
        {_missing('sys_updated_by')} as sys_updated_by,
        {_missing('contact_type')} as contact_type,
        {_missing('category')} as category,
        {_missing('subcategory')} as subcategory,
        {_missing('u_symptom')} as u_symptom,
        {_missing('cmdb_ci')} as cmdb_ci,
        cast({_missing('impact')} as integer) as impact,
        cast({_missing('urgency')} as integer) as urgency,
        cast({_missing('priority')} as integer) as priority,
        {_missing('problem_id')} as problem_id,
        {_missing('rfc')} as rfc,
        {_missing('vendor')} as vendor,
        {_missing('caused_by')} as caused_by,
        {_missing('closed_code')} as closed_code,
        {_uci_timestamp('opened_at')} as opened_at,
        {_uci_timestamp('sys_created_at')} as sys_created_at,
        {_uci_timestamp('sys_updated_at')} as logged_at,
        {_uci_timestamp('resolved_at')} as resolved_at,
        {_uci_timestamp('closed_at')} as closed_at
    from uci_raw
)
select
    *,
    row_number() over w - 1 as seq,
    -- updates never go back in time (one row in the log is stamped before its predecessor)
    max(logged_at) over (w rows between unbounded preceding and current row) as event_at,
    -- the junk '-100' state keeps the incident's previous state
    coalesce(last_value(logged_status ignore nulls) over (w rows between unbounded preceding and current row),
             'new') as status
from parsed
window w as (partition by ticket_id order by rn)
"""

ORG_SQL = [
    """create table tickets as
       select ticket_id, 'servicenow' as source, 'incident' as ticket_type, cast(null as bigint) as service_id,
              arg_max(caller_id, seq) as requester_id, lower(arg_max(contact_type, seq)) as channel,
              arg_max(category, seq) as category, arg_max(opened_at, seq) as opened_at,
              arg_min(priority, seq) as initial_priority, '' as short_description
       from uci_events group by ticket_id""",
    """create table ticket_events as
       select ticket_id, seq, event_at,
              case when seq = 0 then 'create' else 'update' end as event,
              status, priority, assignment_group as team_id, assigned_to as assignee_id,
              reassignment_count, reopen_count, cast(null as timestamptz) as first_response_at,
              case when status in ('resolved', 'closed') then resolved_at end as resolved_at,
              case when status = 'closed' then closed_at end as closed_at,
              false as is_deleted
       from uci_events""",
    """create table teams as
       select distinct assignment_group as team_id, 'Group ' || cast(assignment_group as varchar) as team_name,
              'support' as team_kind, 'uci' as region, 'UTC' as timezone
       from uci_events where assignment_group is not null""",
    """create table meta as
       select cast(min(opened_at) as date) as start_date, cast(max(event_at) as date) + 1 as end_date,
              cast(max(event_at) as date) + 1 as forecast_end_date, 0 as seed, 'uci' as profile,
              'uci-incident-event-log' as generator_version
       from uci_events""",
]


def build_uci_store(zip_path: Path, out: Path) -> Path:
    """Write the org store for the UCI log to ``out`` (atomically; a few seconds)."""
    started = time.monotonic()
    log_table = read_log(zip_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, building = tempfile.mkstemp(prefix=out.name + ".", suffix=".building", dir=out.parent)
    os.close(fd)
    os.unlink(building)
    con = duckdb.connect(building)
    try:
        con.execute("set TimeZone = 'UTC'")
        con.register("uci_raw", log_table)
        con.execute(EVENTS_SQL)
        con.unregister("uci_raw")
        for sql in ORG_SQL:
            con.execute(sql)
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(building, out)
    log.info("UCI log: %s events -> %s in %.1fs", f"{len(log_table):,}", out, time.monotonic() - started)
    return out


# -- the fake's tables over the UCI store ------------------------------------------------------------

UCI_STATE_CODE = "case {s} when 'new' then '1' when 'in_progress' then '2' when 'on_hold' then '3' " \
                 "when 'resolved' then '6' when 'closed' then '7' end"


def _user(kind: str, column: str) -> str:
    return ref(f"sys_user:uci-{kind}", column)


UCI_INCIDENT_SQL = f"""
with version as (
    select * from uci_events where event_at <= $clock
    qualify row_number() over (partition by ticket_id order by seq desc) = 1
)
select
    {sys_id('incident', 'v.ticket_id')} as sys_id,
    'INC' || v.number as number,
    {UCI_STATE_CODE.format(s='v.status')} as state,
    {UCI_STATE_CODE.format(s='v.status')} as incident_state,
    v.active as active,
    {text('v.priority')} as priority,
    {text('v.impact')} as impact,
    {text('v.urgency')} as urgency,
    '' as severity,
    {text('v.category')} as category,
    {text('v.subcategory')} as subcategory,
    lower({text('v.contact_type')}) as contact_type,
    '' as short_description,
    '' as description,
    {ref('sys_user_group', 'v.assignment_group')} as assignment_group,
    {_user('resolver', 'v.assigned_to')} as assigned_to,
    {_user('caller', 'v.caller_id')} as caller_id,
    {_user('opener', 'v.opened_by')} as opened_by,
    case when v.status in ('resolved', 'closed') then {_user('resolver', 'v.resolved_by')} else '' end
        as resolved_by,
    '' as closed_by,
    '' as business_service,
    {ref('cmdb_ci', 'v.cmdb_ci')} as cmdb_ci,
    {ref('cmn_location', 'v.location')} as location,
    'global' as sys_domain,
    '/' as sys_domain_path,
    {ts('v.opened_at')} as opened_at,
    {ts('v.sys_created_at')} as sys_created_on,
    {text("'Created by ' || v.sys_created_by")} as sys_created_by,
    {ts('v.event_at')} as sys_updated_on,
    {text("'Updated by ' || v.sys_updated_by")} as sys_updated_by,
    {text('v.sys_mod_count')} as sys_mod_count,
    case when v.status in ('resolved', 'closed') then {ts('v.resolved_at')} else '' end as resolved_at,
    case when v.status = 'closed' then {ts('v.closed_at')} else '' end as closed_at,
    case when v.status in ('resolved', 'closed') and v.resolved_at is not null
         then cast(cast(epoch(v.resolved_at) - epoch(v.opened_at) as bigint) as varchar) else '' end as calendar_stc,
    '' as calendar_duration,
    '' as business_stc,
    '' as business_duration,
    {text('v.reassignment_count')} as reassignment_count,
    {text('v.reopen_count')} as reopen_count,
    case when v.status = 'on_hold' then v.hold_reason else '' end as hold_reason,
    case when v.status in ('resolved', 'closed') then {text("'code ' || v.closed_code")} else '' end as close_code,
    '' as close_notes,
    '' as sla_due,
    v.made_sla as made_sla,
    '' as major_incident_state,
    {ref('problem', 'v.problem_id')} as problem_id,
    '' as parent_incident,
    {ref('change_request', 'v.caused_by')} as caused_by,
    {ref('change_request', 'v.rfc')} as rfc,
    v.knowledge as knowledge,
    '0' as escalation,
    {text('v.notify')} as notify,
    '' as work_notes,
    '' as comments,
    '' as sys_tags,
    'incident' as sys_class_name,
    'not requested' as approval,
    '' as correlation_id,
    '' as due_date,
    {text('v.u_symptom')} as u_symptom,
    {text('v.u_priority_confirmation')} as u_priority_confirmation,
    {text('v.vendor')} as vendor
from version v
"""

UCI_INCIDENT_FIELDS = [*INCIDENT_FIELDS, ("u_symptom", None), ("u_priority_confirmation", None), ("vendor", None)]

_PEOPLE = [("caller", "caller_id", "Caller"), ("opener", "opened_by", "Opened by"),
           ("resolver", "assigned_to", "Resolver"), ("resolver", "resolved_by", "Resolver")]

UCI_SYS_USER_SQL = " union ".join(
    f"""select distinct {sys_id(f'sys_user:uci-{kind}', column)} as sys_id,
               '{kind}' || cast({column} as varchar) as user_name,
               '{label}' as first_name, cast({column} as varchar) as last_name,
               '{label} ' || cast({column} as varchar) as name, '' as email, '' as title, 'true' as active,
               'UTC' as time_zone, '' as location, '' as department, '' as manager, '' as phone,
               {ts("cast(meta.start_date as timestamptz) - interval 1 day")} as sys_created_on,
               {ts("cast(meta.start_date as timestamptz) - interval 1 day")} as sys_updated_on,
               'false' as locked_out
        from uci_events cross join meta where {column} is not null"""
    for kind, column, label in _PEOPLE
)

UCI_SYS_USER_GROUP_SQL = f"""
select {sys_id('sys_user_group', 'team_id')} as sys_id, team_name as name, team_name as description,
       'true' as active, '' as manager, '' as email, '' as parent, 'itil' as type,
       {ts("cast(meta.start_date as timestamptz) - interval 1 day")} as sys_created_on,
       {ts("cast(meta.start_date as timestamptz) - interval 1 day")} as sys_updated_on
from teams cross join meta
"""

UCI_SYS_USER_GRMEMBER_SQL = f"""
select md5('sys_user_grmember:uci:' || cast(assigned_to as varchar) || ':' || cast(assignment_group as varchar))
           as sys_id,
       {sys_id('sys_user:uci-resolver', 'assigned_to')} as "user",
       {sys_id('sys_user_group', 'assignment_group')} as "group",
       {ts('min(event_at)')} as sys_created_on,
       {ts('min(event_at)')} as sys_updated_on
from uci_events
where assigned_to is not null and assignment_group is not null
group by assigned_to, assignment_group
having min(event_at) <= $clock
"""

UCI_CMN_LOCATION_SQL = f"""
select distinct {sys_id('cmn_location', 'location')} as sys_id, 'Location ' || cast(location as varchar) as name,
       '' as city, '' as country, 'Location ' || cast(location as varchar) as full_name, 'UTC' as time_zone,
       '' as street, '' as parent,
       {ts("cast(meta.start_date as timestamptz) - interval 1 day")} as sys_created_on,
       {ts("cast(meta.start_date as timestamptz) - interval 1 day")} as sys_updated_on
from uci_events cross join meta where location is not null
"""


def empty_table(fields: list[tuple[str, str | None]]) -> TableDef:
    """A table the log has no data for: the same fields, no rows."""
    columns = ", ".join(f"'' as \"{name}\"" for name, _ in fields)
    return TableDef(f"select {columns} where false", fields)


UCI_TABLES: dict[str, TableDef] = {
    "incident": TableDef(UCI_INCIDENT_SQL, UCI_INCIDENT_FIELDS),
    "sys_user": TableDef(UCI_SYS_USER_SQL, SYS_USER_FIELDS),
    "sys_user_group": TableDef(UCI_SYS_USER_GROUP_SQL, SYS_USER_GROUP_FIELDS),
    "sys_user_grmember": TableDef(UCI_SYS_USER_GRMEMBER_SQL, SYS_USER_GRMEMBER_FIELDS),
    "cmn_location": TableDef(UCI_CMN_LOCATION_SQL, CMN_LOCATION_FIELDS),
    "cmdb_ci_service": empty_table(CMDB_CI_SERVICE_FIELDS),
    "change_request": empty_table(CHANGE_REQUEST_FIELDS),
    "problem": empty_table(PROBLEM_FIELDS),
    "asmt_metric": empty_table(ASMT_METRIC_FIELDS),
    "asmt_assessment_instance": empty_table(ASMT_ASSESSMENT_INSTANCE_FIELDS),
    "asmt_metric_result": empty_table(ASMT_METRIC_RESULT_FIELDS),
    **servicenow_history.TABLES,
}

UCI_INTERNAL: dict[str, str] = {
    **servicenow_history.INTERNAL,
    "incident_numbers": "select ticket_id, 'INC' || lpad(cast(ticket_id as varchar), 7, '0') as number from tickets",
}

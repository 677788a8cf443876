"""The fake ServiceNow's tables derived from each incident's history: state and assignment
durations (``metric_instance``), SLAs (``contract_sla``, ``task_sla``) and deletions
(``sys_audit_delete``).

The org store keeps every ticket as a list of events, each carrying the full state after
it. As of ``$clock``:

* ``metric_instance`` holds the out-of-the-box *field value duration* metrics "Incident
  State Duration" (field ``incident_state``) and "Assignment Group" (field
  ``assignment_group``): one row per interval during which the field kept one value.
  An interval ends when the value changes; when the incident becomes inactive (Closed,
  Canceled) the "Incident Open" metric closes every open duration, so the final state
  gets a zero-length, complete row. An open interval has ``calculation_complete=false``
  and no ``end``; it is updated (``sys_updated_on``) when it ends.
* ``task_sla`` holds one SLA per (incident, priority in force, target). The SLA
  definitions (``SLA_DEFINITIONS``) give a response and a resolution target per priority;
  P1/P2 run around the clock, P3-P5 on an "8-5 weekdays" schedule in the time zone of the
  assignment group the incident had when the SLA attached. Start is retroactive to
  ``opened_at``; the response SLA stops when the incident leaves New, the resolution SLA
  when it is first resolved (a reopen does not restart it) and pauses while On Hold.
  A priority change cancels the running SLAs and attaches the new priority's (with
  retroactive start and pause); a canceled incident cancels them. Like ServiceNow, a
  record is only rewritten when something happens to it (attach, pause, resume, breach,
  stop), so its elapsed-time fields are as of ``sys_updated_on``.
* ``sys_audit_delete`` holds one row per deleted incident, plus the task_sla and
  metric_instance rows deleted with it (cascade).
"""

from __future__ import annotations

from connectors.fakes.servicenow_sql import (
    STATE_CODE,
    STATE_LABEL,
    TableDef,
    axis,
    decimal,
    flag,
    from_axis,
    glide_duration,
    ref,
    sys_id,
    text,
    ts,
)

#: (priority, target, name, target seconds, on the 8-5 weekdays schedule). On the schedule a
#: business day is 9 hours: "P4 resolution (2d)" is due after 18 working hours.
SLA_DEFINITIONS: list[tuple[int, str, str, int, bool]] = [
    (1, "response", "P1 response (15m)", 15 * 60, False),
    (2, "response", "P2 response (30m)", 30 * 60, False),
    (3, "response", "P3 response (2h)", 2 * 3600, True),
    (4, "response", "P4 response (4h)", 4 * 3600, True),
    (5, "response", "P5 response (1d)", 9 * 3600, True),
    (1, "resolution", "P1 resolution (4h)", 4 * 3600, False),
    (2, "resolution", "P2 resolution (8h)", 8 * 3600, False),
    (3, "resolution", "P3 resolution (1d)", 9 * 3600, True),
    (4, "resolution", "P4 resolution (2d)", 18 * 3600, True),
    (5, "resolution", "P5 resolution (5d)", 45 * 3600, True),
]
SCHEDULE_NAME = "8-5 weekdays"

_SLA_VALUES = ", ".join(
    f"({p}, '{target}', '{name}', {seconds}, {str(scheduled).lower()})"
    for p, target, name, seconds, scheduled in SLA_DEFINITIONS
)
SLA_DEFINITIONS_CTE = (
    f"sla_definitions as (select * from (values {_SLA_VALUES}) "
    "as d(priority, target, sla_name, target_seconds, scheduled))"
)

#: Servicenow tickets, their versions up to the clock (before any deletion) and deletions.
HISTORY_CTES = """
sn_tickets as (
    select ticket_id, opened_at from tickets where source = 'servicenow'
),
history as (
    select e.ticket_id, e.seq, e.event_at, e.status, e.priority, e.team_id
    from ticket_events e
    join sn_tickets using (ticket_id)
    where e.event_at <= $clock and not e.is_deleted
),
deletions as (
    select e.ticket_id, min(e.event_at) as deleted_at
    from ticket_events e
    join sn_tickets using (ticket_id)
    where e.event_at <= $clock and e.is_deleted
    group by e.ticket_id
),
status_runs as (
    -- one row per stretch of time an incident kept one status
    select ticket_id, seq, event_at as from_at, status,
           lead(event_at) over (partition by ticket_id order by seq) as to_at
    from (select *, lag(status) over (partition by ticket_id order by seq) as previous_status from history)
    where previous_status is distinct from status
)
"""

# -- metric_instance --------------------------------------------------------------------------------

METRIC_INSTANCE_ALL_SQL = f"""
with {HISTORY_CTES},
inactive as (
    -- when the incident became inactive: its latest status run is Closed or Canceled
    select ticket_id, from_at as inactive_at
    from status_runs
    qualify row_number() over (partition by ticket_id order by seq desc) = 1 and status in ('closed', 'canceled')
),
state_instances as (
    select ticket_id, seq, 'incident_state' as field,
           {STATE_CODE.format(s='status')} as field_value,
           {STATE_LABEL.format(s='status')} as value,
           from_at as start_at,
           coalesce(to_at, case when status in ('closed', 'canceled') then from_at end) as end_at
    from status_runs
),
team_runs as (
    select ticket_id, seq, event_at as from_at, team_id,
           lead(event_at) over (partition by ticket_id order by seq) as to_at
    from (select *, lag(team_id) over (partition by ticket_id order by seq) as previous_team,
                 row_number() over (partition by ticket_id order by seq) as nth
          from history)
    where nth = 1 or previous_team is distinct from team_id
),
group_instances as (
    select r.ticket_id, r.seq, 'assignment_group' as field,
           {ref('sys_user_group', 'r.team_id')} as field_value,
           coalesce(teams.team_name, '') as value,
           r.from_at as start_at,
           coalesce(r.to_at, case when inactive.inactive_at is not null
                                  then greatest(r.from_at, inactive.inactive_at) end) as end_at
    from team_runs r
    left join inactive using (ticket_id)
    left join teams on teams.team_id = r.team_id
),
instances as (
    select * from state_instances
    union all by name
    select * from group_instances
)
select
    md5('metric_instance:' || i.field || ':' || cast(i.ticket_id as varchar) || ':' || cast(i.seq as varchar))
        as sys_id,
    md5('metric_definition:' || i.field) as definition,
    'incident' as "table",
    {sys_id('incident', 'i.ticket_id')} as id,
    i.field as field,
    i.field_value as field_value,
    i.value as value,
    {ts('i.start_at')} as "start",
    {ts('i.end_at')} as "end",
    {glide_duration('epoch(i.end_at) - epoch(i.start_at)')} as duration,
    '' as business_duration,
    {flag('i.end_at is not null')} as calculation_complete,
    {ts('i.start_at')} as sys_created_on,
    'system' as sys_created_by,
    {ts('coalesce(i.end_at, i.start_at)')} as sys_updated_on,
    'system' as sys_updated_by,
    case when i.end_at is null then '0' else '1' end as sys_mod_count,
    deletions.deleted_at as _deleted_at
from instances i
left join deletions using (ticket_id)
"""

METRIC_INSTANCE_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("definition", "metric_definition"), ("table", None), ("id", None), ("field", None),
    ("field_value", None), ("value", None), ("start", None), ("end", None), ("duration", None),
    ("business_duration", None), ("calculation_complete", None), ("sys_created_on", None),
    ("sys_created_by", None), ("sys_updated_on", None), ("sys_updated_by", None), ("sys_mod_count", None),
]

# -- contract_sla and task_sla -----------------------------------------------------------------------

CONTRACT_SLA_SQL = f"""
with {SLA_DEFINITIONS_CTE}
select
    md5('contract_sla:' || d.sla_name) as sys_id,
    d.sla_name as name,
    'SLA' as type,
    d.target as target,
    'incident' as collection,
    {glide_duration('d.target_seconds')} as duration,
    'user_specified' as duration_type,
    case when d.scheduled then md5('cmn_schedule:{SCHEDULE_NAME}') else '' end as schedule,
    case when d.scheduled then 'task.assignment_group' else '' end as timezone_source,
    'active=true^priority=' || cast(d.priority as varchar) as start_condition,
    case d.target when 'response' then 'state!=1' else 'stateIN6,7' end as stop_condition,
    case d.target when 'resolution' then 'state=3' else '' end as pause_condition,
    'priority!=' || cast(d.priority as varchar) || '^ORstate=8' as cancel_condition,
    'true' as retroactive,
    'opened_at' as set_start_to,
    'true' as retroactive_pause,
    'true' as active,
    {ts("cast(meta.start_date as timestamptz) - interval 365 day")} as sys_created_on,
    {ts("cast(meta.start_date as timestamptz) - interval 365 day")} as sys_updated_on
from sla_definitions d cross join meta
"""

CONTRACT_SLA_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("name", None), ("type", None), ("target", None), ("collection", None), ("duration", None),
    ("duration_type", None), ("schedule", "cmn_schedule"), ("timezone_source", None), ("start_condition", None),
    ("stop_condition", None), ("pause_condition", None), ("cancel_condition", None), ("retroactive", None),
    ("set_start_to", None), ("retroactive_pause", None), ("active", None), ("sys_created_on", None),
    ("sys_updated_on", None),
]

def _axis(moment: str) -> str:
    return axis(moment, "s.scheduled", "s.tz")


def _from_axis(position: str) -> str:
    return from_axis(position, "s.scheduled", "s.tz")


TASK_SLA_ALL_SQL = f"""
with {HISTORY_CTES},
{SLA_DEFINITIONS_CTE},
stops as (
    select ticket_id,
        min(event_at) as first_event_at,
        min(event_at) filter (where status not in ('new', 'canceled')) as response_stop_at,
        min(event_at) filter (where status in ('resolved', 'closed')) as resolution_stop_at,
        min(event_at) filter (where status = 'canceled') as canceled_at
    from history
    group by ticket_id
),
priority_runs as (
    -- the priority in force, from each change of priority (an SLA attaches at each)
    select ticket_id, seq as run_seq, nth, event_at as attached_at, priority, team_id,
           lead(event_at) over (partition by ticket_id order by seq) as superseded_at
    from (select *, lag(priority) over (partition by ticket_id order by seq) as previous_priority,
                 row_number() over (partition by ticket_id order by seq) as nth
          from history)
    where nth = 1 or previous_priority is distinct from priority
),
candidates as (
    select
        r.ticket_id, r.run_seq, r.nth, r.attached_at, r.superseded_at,
        d.target, d.sla_name, d.target_seconds, d.scheduled,
        coalesce(teams.timezone, 'UTC') as tz,
        least(t.opened_at, st.first_event_at) as start_at,
        case d.target when 'response' then st.response_stop_at else st.resolution_stop_at end as stop_at,
        st.canceled_at
    from priority_runs r
    join sla_definitions d on d.priority = r.priority
    join sn_tickets t using (ticket_id)
    join stops st using (ticket_id)
    left join teams on teams.team_id = r.team_id
),
slas as (
    -- attached: the first priority's SLAs, and a later priority's only while the target still ran
    select *,
        least(superseded_at, stop_at, canceled_at) as ended_at,
        case
            when least(superseded_at, stop_at, canceled_at) is null then null
            when stop_at is not null and stop_at <= coalesce(superseded_at, stop_at)
                 and stop_at <= coalesce(canceled_at, stop_at) then 'completed'
            else 'cancelled'
        end as final_stage
    from candidates
    where nth = 1
       or (attached_at < coalesce(stop_at, 'infinity'::timestamptz)
           and attached_at < coalesce(canceled_at, 'infinity'::timestamptz))
),
slas_on_axis as (
    select s.*, {_axis('s.start_at')} as start_x from slas s
),
holds as (
    select ticket_id, from_at as hold_from, to_at as hold_to from status_runs where status = 'on_hold'
),
pauses as (
    -- holds inside a resolution SLA's life (retroactively from its start), clipped to its end;
    -- pause_to is NULL while the hold goes on
    select s.ticket_id, s.run_seq, s.target, h.hold_from as pause_from,
           least(h.hold_to, s.ended_at) as pause_to,
           {_axis('h.hold_from')} as from_x,
           {_axis('least(h.hold_to, s.ended_at)')} as to_x,
           s.start_x, s.target_seconds
    from slas_on_axis s
    join holds h on h.ticket_id = s.ticket_id
    where s.target = 'resolution'
      and h.hold_from >= s.start_at
      and h.hold_from < coalesce(s.ended_at, 'infinity'::timestamptz)
),
pauses_ordered as (
    -- a pause delays the breach when it starts before the (so far delayed) breach point: on
    -- the schedule's axis, strictly before (a pause that starts in the off-hours after the clock
    -- ran out comes too late). Once one starts after it, every later one does too.
    select *,
        from_x < start_x + target_seconds + coalesce(sum(to_x - from_x) over (
            partition by ticket_id, run_seq, target order by pause_from
            rows between unbounded preceding and 1 preceding), 0) as delays_breach
    from pauses
),
pause_summary as (
    select ticket_id, run_seq, target,
        sum(to_x - from_x) filter (where delays_breach) as delaying_x,
        bool_or(pause_to is null and delays_breach) as paused_before_breach,
        max(pause_from) filter (where pause_to is null) as paused_since,
        max(coalesce(pause_to, pause_from)) as last_pause_event_at
    from pauses_ordered
    group by all
),
due as (
    select s.*, p.paused_since, p.last_pause_event_at,
        s.start_x + s.target_seconds + coalesce(p.delaying_x, 0) as planned_x,
        case when coalesce(p.paused_before_breach, false) then null
             else s.start_x + s.target_seconds + coalesce(p.delaying_x, 0) end as breach_x
    from slas_on_axis s
    left join pause_summary p using (ticket_id, run_seq, target)
),
judged as (
    select s.*,
        {_from_axis('s.breach_x')} as breach_at,
        {_from_axis('s.planned_x')} as planned_end_at,
        {_from_axis('s.start_x + s.target_seconds')} as original_breach_at
    from due s
),
verdicts as (
    select *,
        case when ended_at is not null then breach_at is not null and breach_at < ended_at
             else breach_at is not null and breach_at <= $clock end as has_breached
    from judged
),
as_of as (
    -- the record is rewritten at attach, pause, resume, breach and stop: its values are as of the last
    select *,
        greatest(attached_at, last_pause_event_at, ended_at, case when has_breached then breach_at end)
            as updated_at
    from verdicts
),
measured as (
    select a.*,
        coalesce(a.ended_at, a.updated_at) as measured_at,
        (select sum(epoch(coalesce(p.pause_to, a.updated_at)) - epoch(p.pause_from))
         from pauses p where p.ticket_id = a.ticket_id and p.run_seq = a.run_seq and p.target = a.target
           and p.pause_from <= coalesce(a.ended_at, a.updated_at)) as pause_seconds
    from as_of a
),
measured_on_axis as (
    select s.*,
        (select sum({axis('coalesce(p.pause_to, s.measured_at)', 's.scheduled', 's.tz')} - p.from_x)
         from pauses p where p.ticket_id = s.ticket_id and p.run_seq = s.run_seq and p.target = s.target
           and p.pause_from <= s.measured_at) as pause_x,
        greatest(epoch(s.measured_at) - epoch(s.start_at), 0) as elapsed_seconds,
        greatest({_axis('s.measured_at')} - s.start_x, 0) as elapsed_x
    from measured s
),
final as (
    select *,
        elapsed_seconds - coalesce(pause_seconds, 0) as duration_seconds,
        elapsed_x - coalesce(pause_x, 0) as business_seconds
    from measured_on_axis
)
select
    md5('task_sla:' || cast(f.ticket_id as varchar) || ':' || cast(f.run_seq as varchar) || ':' || f.target)
        as sys_id,
    {sys_id('incident', 'f.ticket_id')} as task,
    md5('contract_sla:' || f.sla_name) as sla,
    case when f.final_stage is not null then f.final_stage
         when f.paused_since is not null then 'paused' else 'in_progress' end as stage,
    {flag('f.has_breached')} as has_breached,
    {flag('f.ended_at is null')} as active,
    {ts('f.start_at')} as start_time,
    {ts('f.ended_at')} as end_time,
    {ts('f.planned_end_at')} as planned_end_time,
    {ts('f.original_breach_at')} as original_breach_time,
    {glide_duration('f.duration_seconds')} as duration,
    {glide_duration('f.business_seconds')} as business_duration,
    {decimal('100.0 * f.duration_seconds / f.target_seconds')} as percentage,
    {decimal('100.0 * f.business_seconds / f.target_seconds')} as business_percentage,
    {glide_duration('greatest(f.target_seconds - f.duration_seconds, 0)')} as time_left,
    {glide_duration('greatest(f.target_seconds - f.business_seconds, 0)')} as business_time_left,
    {glide_duration('coalesce(f.pause_seconds, 0)')} as pause_duration,
    {glide_duration('coalesce(f.pause_x, 0)')} as business_pause_duration,
    case when f.final_stage is null then {ts('f.paused_since')} else '' end as pause_time,
    case when f.scheduled then md5('cmn_schedule:{SCHEDULE_NAME}') else '' end as schedule,
    {text('f.tz')} as timezone,
    {ts('f.attached_at')} as sys_created_on,
    'system' as sys_created_by,
    {ts('f.updated_at')} as sys_updated_on,
    'system' as sys_updated_by,
    deletions.deleted_at as _deleted_at
from final f
left join deletions using (ticket_id)
"""

TASK_SLA_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("task", "task"), ("sla", "contract_sla"), ("stage", None), ("has_breached", None),
    ("active", None), ("start_time", None), ("end_time", None), ("planned_end_time", None),
    ("original_breach_time", None), ("duration", None), ("business_duration", None), ("percentage", None),
    ("business_percentage", None), ("time_left", None), ("business_time_left", None), ("pause_duration", None),
    ("business_pause_duration", None), ("pause_time", None), ("schedule", "cmn_schedule"), ("timezone", None),
    ("sys_created_on", None), ("sys_created_by", None), ("sys_updated_on", None), ("sys_updated_by", None),
]

# -- sys_audit_delete ---------------------------------------------------------------------------------

SYS_AUDIT_DELETE_SQL = f"""
with {HISTORY_CTES},
deleted_rows as (
    select 'incident' as tablename, {sys_id('incident', 'd.ticket_id')} as documentkey,
           coalesce(n.number, '') as display_value, d.deleted_at
    from deletions d
    left join @snap(incident_numbers) n using (ticket_id)
    union all
    select 'task_sla', sys_id, '', _deleted_at from @snap(task_sla_all) where _deleted_at is not null
    union all
    select 'metric_instance', sys_id, '', _deleted_at from @snap(metric_instance_all) where _deleted_at is not null
)
select
    md5('sys_audit_delete:' || tablename || ':' || documentkey) as sys_id,
    tablename,
    documentkey,
    display_value,
    '<?xml version="1.0" encoding="UTF-8"?><record_update table="' || tablename || '"><' || tablename
        || '><sys_id>' || documentkey || '</sys_id></' || tablename || '></record_update>' as payload,
    {ts('deleted_at')} as sys_created_on,
    'admin' as sys_created_by,
    {ts('deleted_at')} as sys_updated_on,
    'admin' as sys_updated_by,
    '0' as sys_mod_count
from deleted_rows
"""

SYS_AUDIT_DELETE_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("tablename", None), ("documentkey", None), ("display_value", None), ("payload", None),
    ("sys_created_on", None), ("sys_created_by", None), ("sys_updated_on", None), ("sys_updated_by", None),
    ("sys_mod_count", None),
]

#: Snapshots other tables read (``@snap(name)``), never served themselves.
INTERNAL: dict[str, str] = {
    "incident_numbers": """
        select ticket_id, 'INC' || lpad(cast(row_number() over (order by ticket_id) as varchar), 7, '0') as number
        from tickets where source = 'servicenow'
    """,
    "task_sla_all": TASK_SLA_ALL_SQL,
    "metric_instance_all": METRIC_INSTANCE_ALL_SQL,
}

TABLES: dict[str, TableDef] = {
    "metric_instance": TableDef(
        "select * exclude (_deleted_at) from @snap(metric_instance_all) where _deleted_at is null",
        METRIC_INSTANCE_FIELDS, parent="id",
    ),
    "contract_sla": TableDef(CONTRACT_SLA_SQL, CONTRACT_SLA_FIELDS),
    "task_sla": TableDef(
        "select * exclude (_deleted_at) from @snap(task_sla_all) where _deleted_at is null",
        TASK_SLA_FIELDS, parent="task",
    ),
    "sys_audit_delete": TableDef(SYS_AUDIT_DELETE_SQL, SYS_AUDIT_DELETE_FIELDS),
}

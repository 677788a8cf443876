"""The fake ServiceNow's tables over the synthetic org: incidents, people, groups, services,
locations, changes, problems and survey results (see ``servicenow_history`` for the tables
derived from each incident's history: metric_instance, task_sla, sys_audit_delete).

Each table is a :class:`TableDef`: a snapshot query over the org store as of ``$clock``
and its fields in API order. Ids are deterministic (md5 of ``'<kind>:' || id``), so the
same org always gives the same records.
"""

from __future__ import annotations

from connectors.fakes import servicenow_history
from connectors.fakes.servicenow_sql import STATE_CODE, TableDef, flag, ref, sys_id, ts
from connectors.synthetic.calendars import REGIONS

INCIDENT_SQL = f"""
with version as (
    select * from ticket_events where event_at <= $clock
    qualify row_number() over (partition by ticket_id order by seq desc) = 1
),
targets as (
    select * from (values (1, 4), (2, 8), (3, 24), (4, 72), (5, 120)) as t(priority, hours)
)
select
    {sys_id('incident', 't.ticket_id')} as sys_id,
    numbered.number as number,
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
join @snap(incident_numbers) numbered using (ticket_id)
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


# -- cmn_location: one location per region the org's people and requesters sit in ----------------------

CITIES = {"uk": "London", "us-east": "New York", "de": "Berlin", "in": "Bengaluru", "us-west": "San Francisco",
          "au": "Sydney"}
_LOCATION_VALUES = ", ".join(
    f"('{r.code}', '{CITIES.get(r.code, r.code)}', '{r.country}', '{r.timezone}')" for r in REGIONS
)

CMN_LOCATION_SQL = f"""
select
    {sys_id('cmn_location', 'l.region')} as sys_id,
    l.city as name,
    l.city as city,
    l.country as country,
    l.country || '/' || l.city as full_name,
    l.time_zone as time_zone,
    '' as street,
    '' as parent,
    {ts("cast(meta.start_date as timestamptz) - interval 400 day")} as sys_created_on,
    {ts("cast(meta.start_date as timestamptz) - interval 400 day")} as sys_updated_on
from (values {_LOCATION_VALUES}) as l(region, city, country, time_zone)
cross join meta
"""

CMN_LOCATION_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("name", None), ("city", None), ("country", None), ("full_name", None), ("time_zone", None),
    ("street", None), ("parent", "cmn_location"), ("sys_created_on", None), ("sys_updated_on", None),
]

# -- change_request: the org's changes through their lifecycle ---------------------------------------
# States: -3 Authorize (normal/emergency, until approved half-way to the planned start),
# -2 Scheduled (standard changes are pre-approved), -1 Implement (work started),
# 0 Review (work ended), 3 Closed (close_code = outcome), 4 Canceled.

CHANGE_REQUEST_SQL = f"""
with changes_timed as (
    select c.*,
        case when c.change_type = 'standard' then c.created_at
             else c.created_at + to_seconds(
                 (cast(epoch(c.planned_start_at) as bigint) - cast(epoch(c.created_at) as bigint)) // 2)
        end as approved_at
    from changes c
),
as_of as (
    select c.*,
        case when c.approved_at <= $clock and not (c.outcome = 'canceled' and c.closed_at <= c.approved_at)
             then c.approved_at end as scheduled_at,
        case when c.work_start_at <= $clock then c.work_start_at end as started_at,
        case when c.work_end_at <= $clock then c.work_end_at end as ended_at,
        case when c.closed_at <= $clock then c.closed_at end as finished_at
    from changes_timed c
    where c.created_at <= $clock
)
select
    {sys_id('change_request', 'c.change_id')} as sys_id,
    'CHG' || lpad(cast(c.change_id as varchar), 7, '0') as number,
    upper(c.change_type[1]) || c.change_type[2:] || ' change to ' || s.service_name as short_description,
    '' as description,
    c.change_type as type,
    case
        when c.finished_at is not null and c.outcome = 'canceled' then '4'
        when c.finished_at is not null then '3'
        when c.ended_at is not null then '0'
        when c.started_at is not null then '-1'
        when c.scheduled_at is not null then '-2'
        else '-3'
    end as state,
    case c.risk when 'high' then '2' when 'moderate' then '3' else '4' end as risk,
    case c.risk when 'high' then '1' when 'moderate' then '2' else '3' end as impact,
    case c.change_type when 'emergency' then '2' when 'normal' then '3' else '4' end as priority,
    'Other' as category,
    {ref('sys_user_group', 'c.team_id')} as assignment_group,
    {ref('sys_user', 'c.requested_by')} as assigned_to,
    {ref('sys_user', 'c.requested_by')} as requested_by,
    {ref('cmdb_ci_service', 'c.service_id')} as business_service,
    {ref('cmdb_ci_service', 'c.service_id')} as cmdb_ci,
    {ts('c.planned_start_at')} as start_date,
    {ts('c.planned_end_at')} as end_date,
    {ts('c.started_at')} as work_start,
    {ts('c.ended_at')} as work_end,
    {ts('c.created_at')} as opened_at,
    {ref('sys_user', 'c.requested_by')} as opened_by,
    {ts('c.finished_at')} as closed_at,
    case when c.finished_at is not null then {ref('sys_user', 'c.requested_by')} else '' end as closed_by,
    case when c.finished_at is not null and c.outcome <> 'canceled' then c.outcome else '' end as close_code,
    case when c.finished_at is null then ''
         when c.outcome = 'canceled' then 'Canceled before implementation'
         else 'Implemented: ' || replace(c.outcome, '_', ' ') end as close_notes,
    case when c.change_type = 'standard' or c.scheduled_at is not null then 'approved'
         else 'requested' end as approval,
    'false' as on_hold,
    {flag('c.finished_at is null')} as active,
    {ts('c.created_at')} as sys_created_on,
    'system' as sys_created_by,
    {ts('greatest(c.created_at, c.scheduled_at, c.started_at, c.ended_at, c.finished_at)')} as sys_updated_on,
    'system' as sys_updated_by,
    cast((c.scheduled_at is not null)::int + (c.started_at is not null)::int + (c.ended_at is not null)::int
         + (c.finished_at is not null)::int as varchar) as sys_mod_count,
    'change_request' as sys_class_name
from as_of c
join services s using (service_id)
"""

CHANGE_REQUEST_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("number", None), ("short_description", None), ("description", None), ("type", None),
    ("state", None), ("risk", None), ("impact", None), ("priority", None), ("category", None),
    ("assignment_group", "sys_user_group"), ("assigned_to", "sys_user"), ("requested_by", "sys_user"),
    ("business_service", "cmdb_ci_service"), ("cmdb_ci", "cmdb_ci"), ("start_date", None), ("end_date", None),
    ("work_start", None), ("work_end", None), ("opened_at", None), ("opened_by", "sys_user"), ("closed_at", None),
    ("closed_by", "sys_user"), ("close_code", None), ("close_notes", None), ("approval", None), ("on_hold", None),
    ("active", None), ("sys_created_on", None), ("sys_created_by", None), ("sys_updated_on", None),
    ("sys_updated_by", None), ("sys_mod_count", None), ("sys_class_name", None),
]

# -- problem: one per major (P1) incident, and for one in twenty P2/P3 incidents ------------------------
# Deterministic from the incident: raised two hours after it opened; Assess (102) a day later,
# Root Cause Analysis (103) a day after that, Fix in Progress (104, a known error) 1-10 days
# on, Resolved (106) two days later, Closed (107) three days after that. One in five ends
# with the risk accepted instead of a fix (no Fix in Progress stage).

PROBLEM_SQL = f"""
with candidates as (
    select t.*,
        cast(('0x' || substr(md5('problem:' || cast(t.ticket_id as varchar)), 1, 6)) as bigint) as draw
    from tickets t
    where t.source = 'servicenow'
      and (t.initial_priority = 1
           or (t.initial_priority in (2, 3)
               and cast(('0x' || substr(md5('problem:' || cast(t.ticket_id as varchar)), 1, 6)) as bigint) % 20 = 0))
),
numbered as (
    select *, 'PRB' || lpad(cast(row_number() over (order by ticket_id) as varchar), 7, '0') as number
    from candidates
),
timeline as (
    select n.*,
        n.opened_at + interval 2 hour as raised_at,
        n.opened_at + interval 26 hour as assess_at,
        n.opened_at + interval 50 hour as rca_at,
        n.draw % 5 = 0 as risk_accepted,
        n.opened_at + interval 50 hour + to_days(cast(1 + n.draw % 10 as integer)) as fix_at
    from numbered n
),
as_of as (
    select t.*,
        case when t.risk_accepted then t.fix_at else t.fix_at + interval 2 day end as resolve_at,
        case when t.risk_accepted then t.fix_at + interval 3 day else t.fix_at + interval 5 day end as close_at
    from timeline t
    where t.raised_at <= $clock
),
staged as (
    select a.*,
        case when a.close_at <= $clock then 107 when a.resolve_at <= $clock then 106
             when not a.risk_accepted and a.fix_at <= $clock then 104 when a.rca_at <= $clock then 103
             when a.assess_at <= $clock then 102 else 101 end as state_code
    from as_of a
)
select
    {sys_id('problem', 'p.ticket_id')} as sys_id,
    p.number as number,
    'Root cause of ' || n.number || ': ' || p.short_description as short_description,
    '' as description,
    cast(p.state_code as varchar) as state,
    cast(p.state_code as varchar) as problem_state,
    cast(p.initial_priority as varchar) as priority,
    case when p.initial_priority <= 2 then '1' else '2' end as impact,
    case when p.initial_priority <= 2 then '1' else '2' end as urgency,
    p.category as category,
    {ref('sys_user_group', 's.team_id')} as assignment_group,
    '' as assigned_to,
    {ref('cmdb_ci_service', 'p.service_id')} as business_service,
    {ref('cmdb_ci_service', 'p.service_id')} as cmdb_ci,
    {sys_id('incident', 'p.ticket_id')} as first_reported_by_task,
    {ts('p.raised_at')} as opened_at,
    {flag('p.state_code >= 104 and not p.risk_accepted')} as known_error,
    case when p.state_code >= 103 then 'Under investigation' else '' end as cause_notes,
    case when p.state_code >= 106 and not p.risk_accepted then 'Permanent fix deployed' else '' end as fix_notes,
    case when p.state_code < 106 then '' when p.risk_accepted then 'risk_accepted' else 'fix_applied' end
        as resolution_code,
    case when p.state_code >= 106 then {ts('p.resolve_at')} else '' end as resolved_at,
    case when p.state_code >= 107 then {ts('p.close_at')} else '' end as closed_at,
    {flag('p.state_code < 106')} as active,
    {ts('p.raised_at')} as sys_created_on,
    'system' as sys_created_by,
    {ts('''case p.state_code when 107 then p.close_at when 106 then p.resolve_at when 104 then p.fix_at
            when 103 then p.rca_at when 102 then p.assess_at else p.raised_at end''')} as sys_updated_on,
    'system' as sys_updated_by,
    cast(p.state_code - 101 - case when p.risk_accepted and p.state_code >= 106 then 1 else 0 end as varchar)
        as sys_mod_count,
    'problem' as sys_class_name
from staged p
join services s using (service_id)
left join @snap(incident_numbers) n using (ticket_id)
"""

PROBLEM_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("number", None), ("short_description", None), ("description", None), ("state", None),
    ("problem_state", None), ("priority", None), ("impact", None), ("urgency", None), ("category", None),
    ("assignment_group", "sys_user_group"), ("assigned_to", "sys_user"), ("business_service", "cmdb_ci_service"),
    ("cmdb_ci", "cmdb_ci"), ("first_reported_by_task", "task"), ("opened_at", None), ("known_error", None),
    ("cause_notes", None), ("fix_notes", None), ("resolution_code", None), ("resolved_at", None),
    ("closed_at", None), ("active", None), ("sys_created_on", None), ("sys_created_by", None),
    ("sys_updated_on", None), ("sys_updated_by", None), ("sys_mod_count", None), ("sys_class_name", None),
]

# -- surveys: the "Customer Satisfaction" survey sent when an incident is first resolved ---------------
# asmt_metric: its questions. asmt_assessment_instance: one per resolved incident, 'ready' until
# the caller answers ('complete', taken_on) or it expires after 30 days ('canceled').
# asmt_metric_result: one row per answered question. actual_value is the option value for
# scale questions and -1 for strings; string_value is the answer as displayed, 'N/A' when the
# (optional) question was left unanswered.

SURVEY_TYPE = "Customer Satisfaction"
SURVEY_EXPIRY_DAYS = 30
SATISFACTION_LABELS = "case {v} when 1 then 'Very dissatisfied' when 2 then 'Dissatisfied' when 3 then 'Neutral' " \
                      "when 4 then 'Satisfied' when 5 then 'Very satisfied' end"

ASMT_METRIC_SQL = f"""
select
    md5('asmt_metric:' || q.name) as sys_id,
    q.name as name,
    q.question as question,
    q.datatype as datatype,
    q.scale_min as scale_min,
    q.scale_max as scale_max,
    md5('asmt_metric_type:{SURVEY_TYPE}') as metric_type,
    q.sort_order as "order",
    q.mandatory as mandatory,
    'true' as active,
    {ts("cast(meta.start_date as timestamptz) - interval 365 day")} as sys_created_on,
    {ts("cast(meta.start_date as timestamptz) - interval 365 day")} as sys_updated_on
from (values
    ('satisfaction', 'How satisfied are you with how your incident was handled?', 'scale', '1', '5', '100', 'true'),
    ('recommend', 'How likely are you to recommend the IT service desk to a colleague?', 'numericscale', '0', '10',
     '200', 'false'),
    ('comments', 'Anything else you would like to tell us?', 'string', '', '', '300', 'false')
) as q(name, question, datatype, scale_min, scale_max, sort_order, mandatory)
cross join meta
"""

ASMT_METRIC_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("name", None), ("question", None), ("datatype", None), ("scale_min", None),
    ("scale_max", None), ("metric_type", "asmt_metric_type"), ("order", None), ("mandatory", None), ("active", None),
    ("sys_created_on", None), ("sys_updated_on", None),
]

ASMT_ASSESSMENT_INSTANCE_SQL = f"""
with first_resolutions as (
    select e.ticket_id, min(e.event_at) as sent_at
    from ticket_events e join tickets t using (ticket_id)
    where t.source = 'servicenow' and e.event = 'resolve'
    group by e.ticket_id
),
numbered as (
    select *, 'AINST' || lpad(cast(row_number() over (order by ticket_id) as varchar), 7, '0') as number
    from first_resolutions
)
select
    {sys_id('asmt_assessment_instance', 'n.ticket_id')} as sys_id,
    n.number as number,
    md5('asmt_metric_type:{SURVEY_TYPE}') as metric_type,
    {ref('sys_user:req', 't.requester_id')} as "user",
    case when r.responded_at <= $clock then 'complete'
         when n.sent_at + interval {SURVEY_EXPIRY_DAYS} day <= $clock then 'canceled'
         else 'ready' end as state,
    'incident' as trigger_table,
    {sys_id('incident', 'n.ticket_id')} as trigger_id,
    {ts(f'n.sent_at + interval {SURVEY_EXPIRY_DAYS} day')} as due_date,
    {ts(f'n.sent_at + interval {SURVEY_EXPIRY_DAYS} day')} as expiration_date,
    case when r.responded_at <= $clock then {ts('r.responded_at')} else '' end as taken_on,
    case when r.responded_at <= $clock then '100' else '0' end as percent_answered,
    {ts('n.sent_at')} as sys_created_on,
    'system' as sys_created_by,
    {ts(f'''case when r.responded_at <= $clock then r.responded_at
                 when n.sent_at + interval {SURVEY_EXPIRY_DAYS} day <= $clock
                     then n.sent_at + interval {SURVEY_EXPIRY_DAYS} day
                 else n.sent_at end''')} as sys_updated_on,
    'system' as sys_updated_by
from numbered n
join tickets t using (ticket_id)
left join csat_responses r using (ticket_id)
where n.sent_at <= $clock
"""

ASMT_ASSESSMENT_INSTANCE_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("number", None), ("metric_type", "asmt_metric_type"), ("user", "sys_user"), ("state", None),
    ("trigger_table", None), ("trigger_id", None), ("due_date", None), ("expiration_date", None),
    ("taken_on", None), ("percent_answered", None), ("sys_created_on", None), ("sys_created_by", None),
    ("sys_updated_on", None), ("sys_updated_by", None),
]

ASMT_METRIC_RESULT_SQL = f"""
with answered as (
    select r.*, t.requester_id
    from csat_responses r join tickets t using (ticket_id)
    where t.source = 'servicenow' and r.responded_at <= $clock
),
answers as (
    select ticket_id, requester_id, responded_at, 'satisfaction' as question,
           cast(score as varchar) as actual_value,
           cast(round((score - 1) / 4.0, 2) as varchar) as normalized_value,
           {SATISFACTION_LABELS.format(v='score')} as string_value
    from answered
    union all
    select ticket_id, requester_id, responded_at, 'recommend',
           coalesce(cast(recommend_score as varchar), '-1'),
           coalesce(cast(round(recommend_score / 10.0, 2) as varchar), '-1'),
           coalesce(cast(recommend_score as varchar), 'N/A')
    from answered
    union all
    select ticket_id, requester_id, responded_at, 'comments', '-1', '-1', comment
    from answered
    where coalesce(comment, '') <> ''
)
select
    md5('asmt_metric_result:' || cast(a.ticket_id as varchar) || ':' || a.question) as sys_id,
    {sys_id('asmt_assessment_instance', 'a.ticket_id')} as instance,
    md5('asmt_metric:' || a.question) as metric,
    md5('asmt_metric_type:{SURVEY_TYPE}') as metric_type,
    'incident' as source_table,
    {sys_id('incident', 'a.ticket_id')} as source_id,
    {ref('sys_user:req', 'a.requester_id')} as "user",
    a.actual_value as actual_value,
    a.normalized_value as normalized_value,
    a.string_value as string_value,
    {ts('a.responded_at')} as sys_created_on,
    'system' as sys_created_by,
    {ts('a.responded_at')} as sys_updated_on,
    'system' as sys_updated_by
from answers a
"""

ASMT_METRIC_RESULT_FIELDS: list[tuple[str, str | None]] = [
    ("sys_id", None), ("instance", "asmt_assessment_instance"), ("metric", "asmt_metric"),
    ("metric_type", "asmt_metric_type"), ("source_table", None), ("source_id", None), ("user", "sys_user"),
    ("actual_value", None), ("normalized_value", None), ("string_value", None), ("sys_created_on", None),
    ("sys_created_by", None), ("sys_updated_on", None), ("sys_updated_by", None),
]

# -- registry ----------------------------------------------------------------------------------------

TABLES: dict[str, TableDef] = {
    "cmdb_ci_service": TableDef(CMDB_CI_SERVICE_SQL, CMDB_CI_SERVICE_FIELDS),
    "cmn_location": TableDef(CMN_LOCATION_SQL, CMN_LOCATION_FIELDS),
    "incident": TableDef(INCIDENT_SQL, INCIDENT_FIELDS),
    "sys_user": TableDef(SYS_USER_SQL, SYS_USER_FIELDS),
    "sys_user_group": TableDef(SYS_USER_GROUP_SQL, SYS_USER_GROUP_FIELDS),
    "sys_user_grmember": TableDef(SYS_USER_GRMEMBER_SQL, SYS_USER_GRMEMBER_FIELDS),
    "change_request": TableDef(CHANGE_REQUEST_SQL, CHANGE_REQUEST_FIELDS),
    "problem": TableDef(PROBLEM_SQL, PROBLEM_FIELDS),
    "asmt_metric": TableDef(ASMT_METRIC_SQL, ASMT_METRIC_FIELDS),
    "asmt_assessment_instance": TableDef(ASMT_ASSESSMENT_INSTANCE_SQL, ASMT_ASSESSMENT_INSTANCE_FIELDS),
    "asmt_metric_result": TableDef(ASMT_METRIC_RESULT_SQL, ASMT_METRIC_RESULT_FIELDS),
    **servicenow_history.TABLES,
}

#: Snapshots tables read through ``@snap(name)``; never served.
INTERNAL: dict[str, str] = dict(servicenow_history.INTERNAL)

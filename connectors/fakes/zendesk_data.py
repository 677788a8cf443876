"""The synthetic organisation as Zendesk Support sees it: snapshot SQL for the fake.

Everything is derived from the org store's canonical tables (``tickets``,
``ticket_events``, ``csat_responses``, ``teams``, ``people``, ``requesters``,
``clients``, ``holidays``) with deterministic arithmetic, so the same org always
gives the same Zendesk pages. What Zendesk adds on top of the canonical history:

- **Statuses**: new / open / pending / hold / solved / closed, plus ``deleted``.
  On-hold tickets wait on the requester (``pending``) or on a third party (``hold``,
  one ticket in three). Canceled tickets are closed with the tag ``canceled``
  (Zendesk has no cancel status).
- **Automations run hourly**: the "close solved tickets" automation closes tickets at
  the top of the hour, and an hourly system job touches one ticket in three
  (``generated_timestamp`` moves, ``updated_at`` does not). Many tickets therefore
  share a ``generated_timestamp``: the collisions that make Zendesk's time-based
  export exceed its page limit and repeat rows across page boundaries.
- **CSAT**: the survey is offered by a trigger when a ticket is first solved; a
  response is a ticket update (an audit with a ``SatisfactionRating`` event). Solved
  tickets that were never rated stay ``offered``, or ``unoffered`` (one in four:
  surveys suppressed for their channel).
- **Metric sets**: reply, first and full resolution, agent / requester wait and
  on-hold times in calendar and business minutes (the business calendar of the
  ticket's current group: its team's working hours, weekdays and regional holidays),
  reopens, replies, group and assignee stations.

Ids are offsets, so they read like Zendesk's: tickets are numbered 1..n in creation
order; other objects live in their own 12-digit ranges.
"""

from __future__ import annotations

from datetime import datetime

GROUP_ID = 360_000_000_000
AGENT_ID = 361_000_000_000
END_USER_ID = 362_000_000_000
ORGANIZATION_ID = 363_000_000_000
METRIC_SET_ID = 364_000_000_000
AUDIT_ID = 365_000_000_000
RATING_ID = 366_000_000_000
#: the "Service" drop-down custom field (its values are service slugs)
SERVICE_FIELD_ID = 360_000_100_001
TICKET_FORM_ID = 360_000_200_001
BRAND_ID = 360_000_300_001
#: the hourly system job that touches tickets without changing them
SYSTEM_UPDATE_SHARE = 3
#: one solved-but-unrated ticket in UNOFFERED_SHARE never gets the survey
UNOFFERED_SHARE = 4


def iso(column: str) -> str:
    return f"strftime({column}, '%Y-%m-%dT%H:%M:%SZ')"


def slug(column: str) -> str:
    return f"trim(both '-' from regexp_replace(lower(trim({column})), '[^a-z0-9]+', '-', 'g'))"


def versions_sql(deletions: dict[int, datetime]) -> str:
    """Every ticket version visible at ``$clock``, in Zendesk terms, one row per audit.

    ``deletions`` are tickets an agent deleted through the fake (zendesk id -> when).
    """
    overlay = (
        ", ".join(f"({int(zid)}, timestamptz '{moment.isoformat()}')" for zid, moment in sorted(deletions.items()))
        or "(null, null)"
    )
    return f"""
with zt as (
    select t.*, row_number() over (order by t.ticket_id) as zid
    from tickets t where t.source = 'zendesk'
),
overlay(zid, deleted_at) as (
    select * from (values {overlay}) v(zid, deleted_at) where zid is not null
),
base as (
    select e.ticket_id, zt.zid, e.seq * 10 as ord, e.event, e.status as canonical_status, e.priority, e.team_id,
           e.assignee_id, e.reopen_count, e.first_response_at, e.resolved_at, e.is_deleted,
           -- automations run at the top of the hour
           case when e.event = 'close' then date_trunc('hour', e.event_at) + interval 1 hour
                else e.event_at end as zd_at
    from ticket_events e join zt using (ticket_id)
),
responses as (
    select zt.zid, c.responded_at, c.score, c.comment
    from csat_responses c join zt using (ticket_id)
),
rated as (
    -- a CSAT response is a ticket update carrying the state of the version before it
    select b.ticket_id, b.zid, b.ord + 5 as ord, 'rate' as event, b.canonical_status, b.priority, b.team_id,
           b.assignee_id, b.reopen_count, b.first_response_at, b.resolved_at, b.is_deleted, r.responded_at as zd_at
    from responses r asof join base b on b.zid = r.zid and r.responded_at >= b.zd_at
    where not b.is_deleted
),
deleted as (
    select b.ticket_id, b.zid, 90000 as ord, 'delete' as event, b.canonical_status, b.priority, b.team_id,
           b.assignee_id, b.reopen_count, b.first_response_at, b.resolved_at, true as is_deleted,
           o.deleted_at as zd_at
    from overlay o join base b on b.zid = o.zid and b.zd_at <= o.deleted_at
    qualify row_number() over (partition by b.zid order by b.ord desc) = 1
),
everything as (
    select * from base union all select * from rated union all select * from deleted
)
select
    e.*,
    case when e.is_deleted then 'deleted'
         when e.canonical_status = 'new' then 'new'
         when e.canonical_status = 'in_progress' then 'open'
         when e.canonical_status = 'on_hold' then
              case when (e.ticket_id * 7919) % 3 = 0 then 'hold' else 'pending' end
         when e.canonical_status = 'resolved' then 'solved'
         else 'closed' end as status,
    case e.priority when 1 then 'urgent' when 2 then 'high' when 3 then 'normal' else 'low' end as zd_priority
from everything e
where e.zd_at <= $clock
  and not exists (select 1 from overlay o where o.zid = e.zid and e.event <> 'delete' and e.zd_at > o.deleted_at)
"""


def business_minutes_sql(intervals: str) -> str:
    """Business minutes of each row of ``intervals`` (zid, kind, a, b, timezone, h0, h1, region, is_24x7):
    the overlap of [a, b) with the team's working hours on weekdays that are not holidays."""
    return f"""
select i.zid, i.kind,
       sum(greatest(0, epoch(
           least(timezone(i.timezone, i.b), g.day + to_minutes(cast(i.h1 * 60 as bigint)))
           - greatest(timezone(i.timezone, i.a), g.day + to_minutes(cast(i.h0 * 60 as bigint)))))) / 60.0
       as business_minutes
from {intervals} i
cross join unnest(generate_series(cast(timezone(i.timezone, i.a) as date), cast(timezone(i.timezone, i.b) as date),
                                  interval 1 day)) as g(day)
where not i.is_24x7
  and isodow(g.day) <= 5
  and not exists (select 1 from holidays h where h.region = i.region and h.holiday_date = cast(g.day as date))
group by all
"""


def tickets_sql(versions: str) -> str:
    """One row per ticket as of ``$clock``: the latest version, its export stamp and its metric set."""
    return f"""
with v as (
    select *,
           lag(status) over w as prev_status,
           lag(team_id) over w as prev_team,
           lag(assignee_id) over w as prev_assignee,
           lead(zd_at) over w as next_at
    from {versions}
    window w as (partition by zid order by ord)
),
latest as (
    select * from v qualify row_number() over (partition by zid order by ord desc) = 1
),
agg as (
    select zid,
           1 + count(*) filter (where prev_team is not null and team_id <> prev_team) as group_stations,
           count(*) filter (where assignee_id is not null and assignee_id is distinct from prev_assignee)
               as assignee_stations,
           count(*) filter (where event in ('respond', 'hold', 'resolve')) as replies,
           min(zd_at) filter (where status = 'solved') as first_solved_at,
           min(zd_at) filter (where assignee_id is not null) as initially_assigned_at,
           max(zd_at) filter (where assignee_id is not null and assignee_id is distinct from prev_assignee)
               as assigned_at,
           max(zd_at) filter (where prev_status is null or status <> prev_status) as status_updated_at,
           max(zd_at) filter (where event in ('create', 'respond', 'hold', 'resolve', 'resume', 'reopen'))
               as latest_comment_added_at,
           max(zd_at) filter (where event in ('create', 'resume', 'reopen', 'rate')) as requester_updated_at,
           max(zd_at) filter (where event in ('respond', 'hold', 'resolve', 'reassign')) as assignee_updated_at
    from v group by zid
),
calendar as (
    select l.zid, l.ticket_id, tm.timezone, tm.workday_start_hour as h0, tm.workday_end_hour as h1, tm.region,
           tm.is_24x7
    from latest l join teams tm on tm.team_id = l.team_id
),
intervals as (
    select c.*, i.kind, i.a, i.b
    from calendar c
    join (
        select l.zid, 'reply' as kind, t.opened_at as a, l.first_response_at as b
        from latest l join tickets t using (ticket_id) where l.first_response_at is not null
        union all
        select l.zid, 'first_resolution', t.opened_at, a.first_solved_at
        from latest l join tickets t using (ticket_id) join agg a using (zid) where a.first_solved_at is not null
        union all
        select l.zid, 'full_resolution', t.opened_at, l.resolved_at
        from latest l join tickets t using (ticket_id)
        where l.resolved_at is not null and l.status in ('solved', 'closed')
        union all
        select zid, case status when 'pending' then 'agent_wait' else 'requester_wait' end, zd_at, next_at
        from v where next_at is not null and status in ('new', 'open', 'hold', 'pending')
        union all
        select zid, 'on_hold', zd_at, next_at from v where next_at is not null and status = 'hold'
    ) i using (zid)
),
calendar_minutes as (
    select zid, kind, sum(epoch(b - a)) / 60.0 as calendar_minutes,
           case when bool_and(is_24x7) then sum(epoch(b - a)) / 60.0 end as always_on_minutes
    from intervals group by all
),
business as (
    {business_minutes_sql("intervals")}
),
minutes as (
    select c.zid, c.kind, cast(round(c.calendar_minutes) as bigint) as calendar,
           cast(round(coalesce(c.always_on_minutes, b.business_minutes, 0)) as bigint) as business
    from calendar_minutes c left join business b using (zid, kind)
),
metric as (
    select zid,
           max(calendar) filter (where kind = 'reply') as reply_cal,
           max(business) filter (where kind = 'reply') as reply_biz,
           max(calendar) filter (where kind = 'first_resolution') as first_res_cal,
           max(business) filter (where kind = 'first_resolution') as first_res_biz,
           max(calendar) filter (where kind = 'full_resolution') as full_res_cal,
           max(business) filter (where kind = 'full_resolution') as full_res_biz,
           max(calendar) filter (where kind = 'agent_wait') as agent_wait_cal,
           max(business) filter (where kind = 'agent_wait') as agent_wait_biz,
           max(calendar) filter (where kind = 'requester_wait') as requester_wait_cal,
           max(business) filter (where kind = 'requester_wait') as requester_wait_biz,
           max(calendar) filter (where kind = 'on_hold') as on_hold_cal,
           max(business) filter (where kind = 'on_hold') as on_hold_biz
    from minutes group by zid
),
ratings as (
    -- a visible response is a visible ticket version, so it is never later than the latest one
    select l.zid, r.score, r.comment, r.responded_at
    from latest l join csat_responses r using (ticket_id)
    where r.responded_at <= l.zd_at
),
ever_rated as (
    select distinct ticket_id from csat_responses
),
system_touch as (
    select zid, date_trunc('hour', zd_at) + interval 1 hour as touched_at
    from latest
    where (ticket_id * 7919 + 3) % {SYSTEM_UPDATE_SHARE} = 0 and status <> 'deleted'
      and date_trunc('hour', zd_at) + interval 1 hour <= $clock
)
select
    l.zid, l.ticket_id, l.status, l.zd_priority as priority, l.canonical_status = 'canceled' as is_canceled,
    cast(epoch(greatest(l.zd_at, coalesce(s.touched_at, l.zd_at))) as bigint) as generated_timestamp,
    l.zd_at as updated_at,
    t.opened_at as created_at,
    case when t.ticket_type = 'incident' then 'incident'
         when t.category = 'inquiry' then 'question' else 'task' end as type,
    t.short_description as subject,
    t.short_description || ' (reported via ' || t.channel || ')' as description,
    case t.channel when 'phone' then 'voice' when 'email' then 'email' when 'chat' then 'chat'
         else 'web' end as via_channel,
    t.category,
    {slug("sv.service_name")} as service_value,
    {GROUP_ID} + l.team_id as group_id,
    case when l.assignee_id is not null then {AGENT_ID} + l.assignee_id end as assignee_id,
    {END_USER_ID} + t.requester_id as requester_id,
    {ORGANIZATION_ID} + cl.client_id as organization_id,
    case when rt.zid is not null then case when rt.score >= 4 then 'good' else 'bad' end
         when a.first_solved_at is null then null
         when (l.ticket_id * 7919 + 1) % {UNOFFERED_SHARE} = 0
              and l.ticket_id not in (select ticket_id from ever_rated) then 'unoffered'
         else 'offered' end as rating_score,
    rt.comment as rating_comment,
    rt.responded_at as rated_at,
    a.first_solved_at,
    -- the metric set
    a.group_stations, a.assignee_stations, a.replies, l.reopen_count as reopens,
    a.initially_assigned_at, a.assigned_at, a.status_updated_at, a.latest_comment_added_at,
    a.requester_updated_at, a.assignee_updated_at,
    case when l.status in ('solved', 'closed') then l.resolved_at end as solved_at,
    m.reply_cal, m.reply_biz, m.first_res_cal, m.first_res_biz, m.full_res_cal, m.full_res_biz,
    coalesce(m.agent_wait_cal, 0) as agent_wait_cal, coalesce(m.agent_wait_biz, 0) as agent_wait_biz,
    coalesce(m.requester_wait_cal, 0) as requester_wait_cal,
    coalesce(m.requester_wait_biz, 0) as requester_wait_biz,
    coalesce(m.on_hold_cal, 0) as on_hold_cal, coalesce(m.on_hold_biz, 0) as on_hold_biz
from latest l
join tickets t using (ticket_id)
join agg a using (zid)
join services sv on sv.service_id = t.service_id
join requesters rq on rq.requester_id = t.requester_id
join clients cl on cl.client_name = rq.business_unit
left join metric m using (zid)
left join ratings rt using (zid)
left join system_touch s using (zid)
"""


def events_sql(versions: str, tickets: str) -> str:
    """One row per ticket audit visible at ``$clock`` (the incremental ticket event export)."""
    via = (
        "case when e.event in ('close') then 'Rule' when e.event in ('create', 'resume', 'reopen', 'rate') "
        "then case t.channel when 'email' then 'Mail' else 'Web form' end else 'Web form' end"
    )
    child = f"({AUDIT_ID} + e.zid * 100000 + e.ord) * 10"
    return f"""
with v as (
    select *, lag(status) over w as prev_status, lag(zd_priority) over w as prev_priority,
           lag(team_id) over w as prev_team, lag(assignee_id) over w as prev_assignee,
           row_number() over w as n
    from {versions}
    window w as (partition by zid order by ord)
)
select
    {AUDIT_ID} + e.zid * 100000 + e.ord as id,
    e.zid, e.ord, e.zd_at,
    cast(epoch(e.zd_at) as bigint) as ts,
    case when e.event = 'close' then -1
         when e.event in ('create', 'resume', 'reopen', 'rate') then {END_USER_ID} + t.requester_id
         else coalesce({AGENT_ID} + e.assignee_id, -1) end as updater_id,
    {via} as via,
    to_json(list_filter([
        case when e.n = 1 then json_object(
            'id', {child} + 1, 'via', {via}, 'via_reference_id', null, 'event_type', 'Create',
            'status', e.status, 'priority', e.zd_priority, 'type', zt.type, 'subject', t.short_description,
            'group_id', {GROUP_ID} + e.team_id,
            'assignee_id', case when e.assignee_id is not null then {AGENT_ID} + e.assignee_id end,
            'requester_id', {END_USER_ID} + t.requester_id,
            'tags', to_json([t.category])) end,
        case when e.n > 1 and e.status <> e.prev_status then json_object(
            'id', {child} + 2, 'via', {via}, 'via_reference_id', null, 'event_type', 'Change',
            'status', e.status, 'previous_value', e.prev_status) end,
        case when e.n > 1 and e.zd_priority <> e.prev_priority then json_object(
            'id', {child} + 3, 'via', {via}, 'via_reference_id', null, 'event_type', 'Change',
            'priority', e.zd_priority, 'previous_value', e.prev_priority) end,
        case when e.n > 1 and e.team_id <> e.prev_team then json_object(
            'id', {child} + 4, 'via', {via}, 'via_reference_id', null, 'event_type', 'Change',
            'group_id', {GROUP_ID} + e.team_id, 'previous_value', {GROUP_ID} + e.prev_team) end,
        case when e.n > 1 and e.assignee_id is distinct from e.prev_assignee then json_object(
            'id', {child} + 5, 'via', {via}, 'via_reference_id', null, 'event_type', 'Change',
            'assignee_id', case when e.assignee_id is not null then {AGENT_ID} + e.assignee_id end,
            'previous_value', case when e.prev_assignee is not null then {AGENT_ID} + e.prev_assignee end) end,
        case when e.event = 'cancel' then json_object(
            'id', {child} + 6, 'via', {via}, 'via_reference_id', null, 'event_type', 'Change',
            'tags', to_json([t.category, 'canceled']), 'added_tags', to_json(['canceled']),
            'removed_tags', '[]'::json) end,
        case when e.event in ('respond', 'hold', 'resolve', 'resume', 'reopen') then json_object(
            'id', {child} + 7, 'via', {via}, 'via_reference_id', null, 'event_type', 'Comment',
            'comment_present', true, 'comment_public', true) end,
        case when e.event = 'rate' then json_object(
            'id', {child} + 8, 'via', {via}, 'via_reference_id', null, 'event_type', 'SatisfactionRating',
            'score', case when r.score >= 4 then 'good' else 'bad' end,
            'assignee_id', case when e.assignee_id is not null then {AGENT_ID} + e.assignee_id end,
            'body', coalesce(r.comment, '')) end
    ], lambda x: x is not null)) as child_events
from v e
join tickets t using (ticket_id)
join {tickets} zt using (zid)
left join csat_responses r on e.event = 'rate' and r.ticket_id = e.ticket_id and r.responded_at = e.zd_at
"""


def ratings_sql(tickets: str) -> str:
    """One satisfaction rating per solved ticket (offered, unoffered, good or bad) as of ``$clock``."""
    return f"""
select
    {RATING_ID} + zid as id, zid, ticket_id,
    rating_score as score,
    case when rating_score in ('good', 'bad') then coalesce(rating_comment, '') else '' end as comment,
    case when rating_score = 'bad' then 'The issue took too long to resolve'
         when rating_score in ('good') then 'No reason provided' else '' end as reason,
    case when rating_score = 'bad' then 5 when rating_score = 'good' then 0 end as reason_id,
    assignee_id, group_id, requester_id,
    first_solved_at as created_at,
    coalesce(rated_at, first_solved_at) as updated_at
from {tickets}
where rating_score is not null and status <> 'deleted'
"""


GROUPS_SQL = f"""
select {GROUP_ID} + team_id as id, team_name as name, team_name || ' (' || team_kind || ')' as description,
       team_id = (select min(team_id) from teams) as "default", false as deleted, true as is_public,
       cast(meta.start_date as timestamptz) - interval 365 day as created_at,
       cast(meta.start_date as timestamptz) - interval 365 day as updated_at
from teams cross join meta
"""

USERS_SQL = f"""
select {AGENT_ID} + p.person_id as id, p.first_name || ' ' || p.last_name as name, p.email,
       case when p.role = 'Team Lead' then 'admin' else 'agent' end as role,
       p.leave_date is null or p.leave_date > cast($clock as date) as active,
       {GROUP_ID} + p.team_id as default_group_id, null::bigint as organization_id,
       tm.timezone as iana_time_zone, p.role as notes,
       cast(p.hire_date as timestamptz) + interval 8 hour as created_at,
       cast(greatest(p.hire_date, case when p.leave_date <= cast($clock as date) then p.leave_date end)
            as timestamptz) + interval 8 hour as updated_at
from people p join teams tm using (team_id)
where not p.is_placeholder and p.hire_date <= cast($clock as date)
union all
select {END_USER_ID} + r.requester_id, r.first_name || ' ' || r.last_name, r.email, 'end-user', true, null,
       {ORGANIZATION_ID} + cl.client_id, 'UTC', r.business_unit,
       cast(meta.start_date as timestamptz) - interval 400 day,
       cast(meta.start_date as timestamptz) - interval 400 day
from requesters r join clients cl on cl.client_name = r.business_unit cross join meta
"""

ORGANIZATIONS_SQL = f"""
select {ORGANIZATION_ID} + client_id as id, client_name as name,
       'Business unit ' || client_name as details,
       cast(meta.start_date as timestamptz) - interval 500 day as created_at,
       cast(meta.start_date as timestamptz) - interval 500 day as updated_at
from clients cross join meta
"""

"""Fake Runn API v1: the resource-planning view of the synthetic organisation.

Wire format per source-apis.md section 6 and kpi-anchors.md section 4:

* ``Authorization: Bearer <token>`` (401 otherwise) and the mandatory
  ``Accept-Version: 1.0.0`` header (400 without it, or with another version);
* every list answers ``{"values": [...], "nextCursor": "..." | null}``; ``cursor``
  comes back opaque; ``limit`` has a per-endpoint default and maximum (actuals,
  assignments, phases, budget-roles 100/500; the rest 50/200) and a limit above the
  maximum is a 400, as are a missing required parameter (``sortBy`` on clients,
  contracts and time-offs; ``includeArchived`` on projects), a malformed
  ``modifiedAfter`` and a cursor that does not belong to the query;
* ``sortBy`` (id | createdAt | updatedAt) and ``order``; ``modifiedAfter``
  (``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SSZ``) returns records updated after it;
* ``createdAt``/``updatedAt`` ISO-8601 with milliseconds and ``Z``, business dates
  ``YYYY-MM-DD``, every duration in minutes;
* deletions never show in ``modifiedAfter`` lists, only in ``/activity-log/``
  (``eventType`` repeatable, ``occurredAfter``, newest first by default);
* ``x-ratelimit-limit``/``-remaining``/``-reset`` on every answer, and 429 with
  ``retry-after`` and ``x-ratelimit-reset`` (seconds) past the limit;
* errors are ``{"error": "Bad Request", "message": "...", "statusCode": 400}``.

What the fake serves, derived deterministically from the org store as of the clock:
everyone in the organisation (Runn is the planning tool for every team), their
contracts (part-timers, four-day weeks, mid-history changes), leave and
rostered-off days, public holidays per holiday group (a team's region), projects
(T&M, fixed price, non-billable; tentative ones, and strategic projects that were
tentative until ten days before they started), phases, budget roles, placeholders,
assignments (scheduled work), and actuals for the teams whose ``time_tracking`` is
``runn`` (from the time entries and their versions: late edits and deletions).
Three kinds of deletion reach the activity log: actuals whose time entries were all
deleted, assignments replaced when a plan was revised, and duplicate leave bookings.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from connectors.fakes.base import FakeAPI, OrgStore, Request, Response, bearer_token
from connectors.synthetic.calendars import REGIONS
from connectors.synthetic.org import ROLES, SERVICE_NAMES

ACCEPT_VERSION = "1.0.0"

ID = {
    "teams": 2_000, "roles": 3_000, "skills": 4_000, "clients": 5_000, "holiday_groups": 7_000, "rate_cards": 8_000,
    "projects": 20_000, "phases": 30_000, "contracts": 40_000, "holidays": 60_000, "people": 100_000,
    "placeholders": 900_000, "assignments": 1_000_000, "replaced_assignments": 2_000_000,
    "actuals": 10_000_000, "leave": 200_000_000, "duplicate_leave": 250_000_000, "rostered_off": 210_000_000,
    "holiday_time_offs": 300_000_000,
}

COUNTRY_NAMES = {"GB": "United Kingdom", "US": "United States", "DE": "Germany", "IN": "India", "AU": "Australia"}

#: when the synthetic company started planning in Runn: 400 days before its history starts
RUNN_SETUP = "(cast((select start_date from meta) as timestamptz) - interval 400 day + interval 10 hour)"


def stamp(moment: str, key: str) -> str:
    """A timestamp with deterministic milliseconds, as Runn's carry them."""
    return f"({moment} + to_milliseconds(cast(({key}) * 7919 % 1000 as bigint)))"


def _values(rows: list[tuple], columns: str, alias: str = "v") -> str:
    """A constant table as SQL (catalogues that live in Python: roles, regions, skills)."""
    body = ", ".join("(" + ", ".join("NULL" if v is None else repr(v) for v in row) + ")" for row in rows)
    return f"(values {body}) as {alias}({columns})"


def role_table(alias: str = "v") -> str:
    return _values([(i + 1, name, cost, rate) for i, (name, _, cost, rate) in enumerate(ROLES)],
                   "role_index, role_name, default_hour_cost, standard_rate", alias)


def region_table(alias: str = "v") -> str:
    return _values([(i + 1, r.code, r.country, COUNTRY_NAMES[r.country]) for i, r in enumerate(REGIONS)],
                   "region_index, region, country_code, country_name", alias)


# -- snapshots (each uses $clock: the org as Runn shows it at that moment) --------------------------------

TEAMS_SQL = f"""
select {ID['teams']} + team_id as id, team_name as name,
       {stamp(RUNN_SETUP, 'team_id')} as created_at, {stamp(RUNN_SETUP, 'team_id')} as updated_at
from teams where {RUNN_SETUP} <= $clock
"""


def roles_sql() -> str:
    return f"""
select {ID['roles']} + r.role_index as id, r.role_name as name, false as is_archived,
       r.default_hour_cost, r.standard_rate,
       coalesce((select list({ID['people']} + p.person_id order by p.person_id) from people p
                 where p.role = r.role_name and cast(p.hire_date as timestamptz) - interval 14 day <= $clock), [])
           as person_ids,
       {stamp(RUNN_SETUP, 'r.role_index')} as created_at, {stamp(RUNN_SETUP, 'r.role_index')} as updated_at
from {role_table('r')} where {RUNN_SETUP} <= $clock
"""


def skills_sql() -> str:
    names = sorted({n for group in SERVICE_NAMES.values() for n in group})
    return f"""
select {ID['skills']} + i as id, name,
       {stamp(RUNN_SETUP, 'i')} as created_at, {stamp(RUNN_SETUP, 'i')} as updated_at
from {_values([(i + 1, n) for i, n in enumerate(names)], 'i, name')} where {RUNN_SETUP} <= $clock
"""


CLIENTS_SQL = f"""
select {ID['clients']} + client_id as id, client_name as name,
       {stamp(RUNN_SETUP, 'client_id')} as created_at, {stamp(RUNN_SETUP, 'client_id')} as updated_at
from clients where {RUNN_SETUP} <= $clock
"""

HOLIDAY_IDS = """
holiday_ids as (
    select h.*, row_number() over (order by h.region, h.holiday_date) as holiday_index from holidays h
)"""


def holiday_groups_sql() -> str:
    return f"""
with {HOLIDAY_IDS}
select {ID['holiday_groups']} + r.region_index as id, r.country_name || ' (' || r.region || ')' as name,
       r.country_code, r.country_name, r.region as region_name,
       coalesce((select list({ID['holidays']} + h.holiday_index order by h.holiday_index) from holiday_ids h
                 where h.region = r.region), []) as holiday_ids,
       {stamp(RUNN_SETUP, 'r.region_index')} as created_at, {stamp(RUNN_SETUP, 'r.region_index')} as updated_at
from {region_table('r')} where {RUNN_SETUP} <= $clock
"""


# A person is added to Runn two weeks before they start (or when Runn was set up) and
# archived on their leaving day.
PEOPLE_BASE = f"""
runn_people as (
    select p.*, t.region,
           greatest({RUNN_SETUP}, cast(p.hire_date as timestamptz) - interval 14 day + interval 10 hour)
               as person_created_at,
           cast(p.leave_date as timestamptz) + interval 18 hour as archived_at
    from people p join teams t using (team_id)
)"""


def people_sql() -> str:
    return f"""
with {PEOPLE_BASE}
select {ID['people']} + p.person_id as id, p.first_name, p.last_name,
       -- people type their own address: some capitalise it (identity matching lower-cases)
       case when p.person_id % 10 = 3 then upper(p.email[1]) || p.email[2:] else p.email end as email,
       p.archived_at is not null and p.archived_at <= $clock as is_archived,
       'E' || lpad(cast(p.person_id as varchar), 5, '0') as hris_id, p.employment_type,
       {ID['holiday_groups']} + r.region_index as holidays_group_id,
       {ID['teams']} + p.team_id as team_id,
       {stamp('p.person_created_at', 'p.person_id')} as created_at,
       {stamp("case when p.archived_at <= $clock then p.archived_at else p.person_created_at end", 'p.person_id')}
           as updated_at
from runn_people p join {region_table('r')} using (region)
where p.person_created_at <= $clock
"""


def contracts_sql() -> str:
    return f"""
with {PEOPLE_BASE},
dated as (
    select c.*, p.person_created_at, p.leave_date, p.hire_date,
           case when c.start_date <= p.hire_date then p.person_created_at
                else cast(c.start_date as timestamptz) - interval 14 day + interval 10 hour end as created_at,
           lead(c.start_date) over (partition by c.person_id order by c.start_date) as next_start
    from contracts c join runn_people p using (person_id)
),
ended as (
    select *,
           -- the last day worked: a leaver's contract ends the day before they leave
           case when end_date is not null and end_date = leave_date then leave_date - 1 else end_date end
               as last_day,
           case when next_start is not null then cast(next_start as timestamptz) - interval 14 day + interval 10 hour
                when end_date is not null
                    then greatest(created_at, cast(leave_date as timestamptz) - interval 14 day + interval 10 hour)
           end as end_set_at
    from dated
)
select {ID['contracts']} + e.contract_id as id, {ID['people']} + e.person_id as person_id,
       {ID['roles']} + r.role_index as role_id, e.start_date,
       case when e.end_set_at <= $clock then e.last_day end as end_date,
       e.employment_type, e.cost_per_hour, e.minutes_per_day, e.works_friday, e.job_title,
       {stamp('e.created_at', 'e.contract_id')} as created_at,
       {stamp("case when e.end_set_at <= $clock then e.end_set_at else e.created_at end", 'e.contract_id')}
           as updated_at
from ended e join {role_table('r')} on r.role_name = e.job_title
where e.created_at <= $clock
"""


# Projects: planned in Runn 45 days before they start; strategic projects with id % 3 = 0
# stayed tentative until ten days before their start; archived a month after they end.
PROJECTS_BASE = f"""
runn_projects as (
    select pr.*,
           greatest({RUNN_SETUP}, cast(pr.start_date as timestamptz) - interval 45 day + interval 10 hour)
               as project_created_at,
           case when pr.project_kind = 'strategic' and pr.is_confirmed and pr.project_id % 3 = 0
                then cast(pr.start_date as timestamptz) - interval 10 day + interval 11 hour end as confirmed_at,
           cast(pr.end_date as timestamptz) + interval 30 day + interval 10 hour as archived_at
    from projects pr
)"""


def projects_sql() -> str:
    return f"""
with {PROJECTS_BASE},
visible as (
    select *,
           is_confirmed and (confirmed_at is null or confirmed_at <= $clock) as confirmed_now,
           archived_at is not null and archived_at <= $clock as archived_now
    from runn_projects where project_created_at <= $clock
)
select {ID['projects']} + project_id as id, project_name as name, archived_now as is_archived,
       confirmed_now as is_confirmed, pricing_model, {ID['teams']} + team_id as team_id,
       budget_amount as budget, {ID['clients']} + client_id as client_id,
       {ID['rate_cards']} + case pricing_model when 'tm' then 1 when 'fp' then 2 else 3 end as rate_card_id,
       'P' || lpad(cast(project_id as varchar), 5, '0') as finance_code, project_kind,
       {stamp('project_created_at', 'project_id')} as created_at,
       {stamp('''greatest(project_created_at,
                          case when confirmed_at <= $clock then confirmed_at end,
                          case when archived_now then archived_at end)''', 'project_id')} as updated_at
from visible
"""


PHASES_BASE = """
phase_bounds as (
    select pr.project_id, k.phase_no, k.phase_name, k.color,
           case when k.phase_no = 1 then pr.start_date
                else pr.start_date + cast(round((pr.end_date - pr.start_date) * 0.25) as integer) + 1 end as start_date,
           case when k.phase_no = 1 then pr.start_date + cast(round((pr.end_date - pr.start_date) * 0.25) as integer)
                else pr.end_date end as end_date
    from projects pr
    cross join (values (1, 'Discovery & design', '#67D0D5'), (2, 'Delivery', '#FDCD4F'))
        as k(phase_no, phase_name, color)
    where pr.project_kind = 'strategic'
)"""


def phases_sql() -> str:
    return f"""
with {PROJECTS_BASE}, {PHASES_BASE}
select {ID['phases']} + b.project_id * 10 + b.phase_no as id, b.phase_name as name, b.color,
       b.start_date, b.end_date, {ID['projects']} + b.project_id as project_id,
       {stamp('p.project_created_at', 'b.project_id * 10 + b.phase_no')} as created_at,
       {stamp('p.project_created_at', 'b.project_id * 10 + b.phase_no')} as updated_at
from phase_bounds b join runn_projects p using (project_id)
where p.project_created_at <= $clock
"""


def budget_roles_sql() -> str:
    """Estimated minutes per role, from the planned work, scaled to the project's hour budget."""
    return f"""
with {PROJECTS_BASE},
planned as (
    select a.project_id, coalesce(a.placeholder_role, a.role) as role_name,
           sum(a.minutes_per_day * ((a.end_date - a.start_date) + 1) * 5.0 / 7.0) as raw_minutes
    from assignments a group by 1, 2
),
shares as (
    select *, raw_minutes / sum(raw_minutes) over (partition by project_id) as share from planned
)
select {ID['projects']} + p.project_id as project_id, {ID['roles']} + r.role_index as role_id,
       cast(round(p.budget_hours * 60 * s.share) as bigint) as estimated_minutes,
       case when p.pricing_model = 'nb' then 0
            else round(p.budget_hours * s.share * r.standard_rate, 2) end as estimated_budget,
       p.project_id * 10 + r.role_index as id
from shares s join runn_projects p using (project_id) join {role_table('r')} on r.role_name = s.role_name
where p.project_created_at <= $clock and p.budget_hours is not null
"""


PLACEHOLDERS_BASE = f"""
runn_placeholders as (
    select a.project_id, a.placeholder_role, r.role_index, pr.team_id,
           {ID['placeholders']} + a.project_id * 10 + r.role_index as placeholder_id,
           min(greatest({RUNN_SETUP}, cast(a.start_date as timestamptz) - interval 14 day + interval 10 hour))
               as created_at
    from assignments a join {role_table('r')} on r.role_name = a.placeholder_role
    join projects pr using (project_id)
    where a.is_placeholder
    group by all
)"""


def placeholders_sql() -> str:
    return f"""
with {PROJECTS_BASE}, {PLACEHOLDERS_BASE}
select ph.placeholder_id as id, ph.placeholder_role || ' (' || p.project_name || ')' as name,
       {ID['roles']} + ph.role_index as role_id, {ID['teams']} + ph.team_id as team_id,
       p.archived_at is not null and p.archived_at <= $clock as is_archived,
       {stamp('ph.created_at', 'ph.placeholder_id')} as created_at,
       {stamp("case when p.archived_at <= $clock then p.archived_at else ph.created_at end", 'ph.placeholder_id')}
           as updated_at
from runn_placeholders ph join runn_projects p using (project_id)
where ph.created_at <= $clock
"""


# Assignments are planned two weeks before they start. One in seventeen replaced an earlier
# plan (an hour a day more) that existed for three days before it was deleted.
ASSIGNMENTS_BASE = f"""
planned as (
    select a.*, r.role_index,
           greatest({RUNN_SETUP}, cast(a.start_date as timestamptz) - interval 14 day + interval 10 hour)
               as planned_at
    from assignments a join {role_table('r')} on r.role_name = a.role
),
versions as (
    select {ID['assignments']} + assignment_id as id, *, minutes_per_day as planned_minutes,
           planned_at as created_at, cast(null as timestamptz) as deleted_at
    from planned
    union all
    select {ID['replaced_assignments']} + assignment_id as id, *, minutes_per_day + 60 as planned_minutes,
           planned_at - interval 3 day as created_at, planned_at as deleted_at
    from planned where assignment_id % 17 = 5
)"""


def assignments_sql() -> str:
    return f"""
with {PROJECTS_BASE}, {PHASES_BASE}, {ASSIGNMENTS_BASE}
select v.id,
       case when v.is_placeholder then {ID['placeholders']} + v.project_id * 10 + ph_role.role_index
            else {ID['people']} + v.person_id end as person_id,
       {ID['projects']} + v.project_id as project_id, {ID['roles']} + v.role_index as role_id,
       v.start_date, v.end_date, v.planned_minutes as minutes_per_day, v.is_billable, v.is_placeholder,
       {ID['phases']} + b.project_id * 10 + b.phase_no as phase_id,
       {stamp('v.created_at', 'v.id')} as created_at, {stamp('v.created_at', 'v.id')} as updated_at
from versions v
left join {role_table('ph_role')} on ph_role.role_name = v.placeholder_role
left join phase_bounds b on b.project_id = v.project_id and v.start_date between b.start_date and b.end_date
where v.created_at <= $clock and (v.deleted_at is null or v.deleted_at > $clock)
"""


# Actuals: one per person x project x day (Runn keeps one actual per person, project, role
# and day), the sum of that day's time entries in their latest version as of the clock;
# an actual whose entries were all deleted is gone (and in the activity log).
ACTUAL_GROUPS = """
runn_entries as (
    select e.*, min(e.time_entry_id) over (partition by e.person_id, e.project_id, e.spent_date) as group_id
    from time_entries e where e.tracked_in = 'runn'
)"""


def actuals_sql() -> str:
    return f"""
with {PROJECTS_BASE}, {PHASES_BASE}, {ACTUAL_GROUPS},
latest as (
    select v.time_entry_id, v.hours, v.is_deleted, v.version_at,
           min(v.version_at) over (partition by v.time_entry_id) as first_at
    from time_entry_versions v semi join runn_entries e using (time_entry_id)
    where v.version_at <= $clock
    qualify row_number() over (partition by v.time_entry_id order by v.version_at desc, v.is_deleted desc) = 1
),
actual as (
    select e.group_id, e.person_id, e.project_id, e.spent_date, bool_or(e.is_billable) as is_billable,
           cast(round(60 * sum(l.hours) filter (where not l.is_deleted)) as bigint) as minutes,
           min(e.notes) as note, min(l.first_at) as created_at, max(l.version_at) as updated_at
    from runn_entries e join latest l using (time_entry_id)
    group by all
    having not bool_and(l.is_deleted)
)
select {ID['actuals']} + a.group_id as id, a.spent_date as date,
       case when a.is_billable then a.minutes else 0 end as billable_minutes,
       case when a.is_billable then 0 else a.minutes end as nonbillable_minutes,
       case when a.is_billable then a.note end as billable_note,
       case when a.is_billable then null else a.note end as nonbillable_note,
       {ID['phases']} + b.project_id * 10 + b.phase_no as phase_id,
       {ID['people']} + a.person_id as person_id, {ID['projects']} + a.project_id as project_id,
       {ID['roles']} + r.role_index as role_id,
       {stamp('a.created_at', 'a.group_id')} as created_at, {stamp('a.updated_at', 'a.group_id')} as updated_at
from actual a
join people p on p.person_id = a.person_id
join {role_table('r')} on r.role_name = p.role
left join phase_bounds b on b.project_id = a.project_id and a.spent_date between b.start_date and b.end_date
"""


# Leave is booked 3-42 days ahead; one booking in twenty-three was made twice by mistake
# (an hour apart) and the duplicate deleted two days later.
LEAVE_BASE = f"""
{PEOPLE_BASE},
bookings as (
    select o.*, greatest(p.person_created_at,
                         cast(o.start_date as timestamptz) - to_days(cast(3 + o.time_off_id * 37 % 40 as integer))
                         + interval 10 hour) as booked_at
    from time_off o join runn_people p using (person_id)
),
leave_versions as (
    select {ID['leave']} + time_off_id as id, *, booked_at as created_at, cast(null as timestamptz) as deleted_at
    from bookings where kind = 'leave'
    union all
    select {ID['duplicate_leave']} + time_off_id as id, *, booked_at + interval 1 hour as created_at,
           booked_at + interval 2 day + interval 3 hour as deleted_at
    from bookings where kind = 'leave' and time_off_id % 23 = 4
)"""


def leave_sql() -> str:
    return f"""
with {LEAVE_BASE}
select id, {ID['people']} + person_id as person_id, start_date, end_date, 'Annual leave' as note,
       minutes_per_day, {stamp('created_at', 'id')} as created_at, {stamp('created_at', 'id')} as updated_at
from leave_versions
where created_at <= $clock and (deleted_at is null or deleted_at > $clock)
"""


def rostered_off_sql() -> str:
    return f"""
with {PEOPLE_BASE},
rostered as (
    select o.*, greatest(p.person_created_at, cast(o.start_date as timestamptz) - interval 60 day + interval 10 hour)
               as created_at
    from time_off o join runn_people p using (person_id) where o.kind = 'rostered_off'
)
select {ID['rostered_off']} + time_off_id as id, {ID['people']} + person_id as person_id, start_date, end_date,
       'Rostered day off' as note, minutes_per_day,
       {stamp('created_at', 'time_off_id')} as created_at, {stamp('created_at', 'time_off_id')} as updated_at
from rostered where created_at <= $clock
"""


def holiday_time_offs_sql() -> str:
    """Each person's public holidays (their team's region) while employed, within the planning horizon;
    a year's holidays are published on 1 December of the year before."""
    return f"""
with {PEOPLE_BASE}, {HOLIDAY_IDS},
person_days as (
    select p.person_id, h.holiday_index, h.holiday_date, h.holiday_name,
           greatest(p.person_created_at,
                    cast(make_date(year(h.holiday_date) - 1, 12, 1) as timestamptz) + interval 10 hour) as created_at
    from runn_people p join holiday_ids h on h.region = p.region
    where h.holiday_date >= p.hire_date and (p.leave_date is null or h.holiday_date < p.leave_date)
      and h.holiday_date >= (select start_date from meta) - 30
      and h.holiday_date <= (select forecast_end_date from meta)
)
select {ID['holiday_time_offs']} + holiday_index * 10000 + person_id as id,
       {ID['people']} + person_id as person_id, holiday_date as start_date, holiday_date as end_date,
       holiday_name as note, cast(null as bigint) as minutes_per_day, {ID['holidays']} + holiday_index as holiday_id,
       {stamp('created_at', 'holiday_index * 10000 + person_id')} as created_at,
       {stamp('created_at', 'holiday_index * 10000 + person_id')} as updated_at
from person_days where created_at <= $clock
"""


def rate_cards_sql() -> str:
    cards = [(1, "Standard rates", False, None, "tm"), (2, "Fixed price (blended)", True, 110.0, "fp"),
             (3, "Internal (non-billable)", False, None, "nb")]
    return f"""
with {PROJECTS_BASE}
select {ID['rate_cards']} + c.n as id, c.name, c.is_blended, c.blended_rate,
       coalesce((select list({ID['projects']} + p.project_id order by p.project_id) from runn_projects p
                 where p.pricing_model = c.model and p.project_created_at <= $clock), []) as project_ids,
       {stamp(RUNN_SETUP, 'c.n')} as created_at, {stamp(RUNN_SETUP, 'c.n')} as updated_at
from {_values(cards, 'n, name, is_blended, blended_rate, model', 'c')}
where {RUNN_SETUP} <= $clock
"""


def activity_log_sql() -> str:
    """Deletion events as of the clock, each with the deleted object's id."""
    return f"""
with {ACTUAL_GROUPS},
entry_state as (
    -- each entry's final version (the same ordering the actuals snapshot uses)
    select time_entry_id, is_deleted as deleted, version_at as last_version_at
    from time_entry_versions semi join runn_entries using (time_entry_id)
    qualify row_number() over (partition by time_entry_id order by version_at desc, is_deleted desc) = 1
),
deleted_actuals as (
    select e.group_id, min(e.person_id) as person_id, min(e.project_id) as project_id,
           min(e.spent_date) as spent_date, max(s.last_version_at) as deleted_at
    from runn_entries e join entry_state s using (time_entry_id)
    group by e.group_id
    having bool_and(s.deleted)
),
{LEAVE_BASE},
{ASSIGNMENTS_BASE},
events as (
    select 'actual_deleted' as event_type, {ID['actuals']} + group_id as object_id,
           {ID['people']} + person_id as person_id, {ID['projects']} + project_id as project_id,
           spent_date as object_date, deleted_at as occurred_at
    from deleted_actuals
    union all
    select 'assignment_deleted', id,
           case when is_placeholder then null else {ID['people']} + person_id end,
           {ID['projects']} + project_id, start_date, deleted_at
    from versions where deleted_at is not null
    union all
    select 'time_off_deleted', id, {ID['people']} + person_id, null, start_date, deleted_at
    from leave_versions where deleted_at is not null
)
select md5(event_type || ':' || cast(object_id as varchar)) as id, event_type, object_id, person_id, project_id,
       object_date, {stamp('occurred_at', 'object_id')} as created_at, {stamp('occurred_at', 'object_id')} as updated_at
from events
where {stamp('occurred_at', 'object_id')} <= $clock
"""


# -- rendering -----------------------------------------------------------------------------------------


def ts(value: datetime) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def day(value) -> str | None:
    return value.isoformat() if value is not None else None


def money(value) -> float | None:
    return None if value is None else round(float(value), 2)


def stamps(r: dict) -> dict:
    return {"createdAt": ts(r["created_at"]), "updatedAt": ts(r["updated_at"])}


def render_person(r: dict) -> dict:
    return {"id": r["id"], "firstName": r["first_name"], "lastName": r["last_name"], "email": r["email"],
            "isArchived": bool(r["is_archived"]), "isPlaceholder": False,
            "references": [{"referenceName": "HRIS", "externalId": r["hris_id"]}],
            "tags": [{"id": 9001 if r["employment_type"] == "employee" else 9002, "name": r["employment_type"]}],
            "holidaysGroupId": r["holidays_group_id"], "teamId": r["team_id"], **stamps(r)}


def render_contract(r: dict) -> dict:
    minutes = int(r["minutes_per_day"])
    return {"id": r["id"], "personId": r["person_id"], "roleId": r["role_id"], "startDate": day(r["start_date"]),
            "endDate": day(r["end_date"]), "employmentType": r["employment_type"],
            "costPerHour": money(r["cost_per_hour"]), "minutesPerDay": minutes,
            "rosteredDays": {"monday": minutes, "tuesday": minutes, "wednesday": minutes, "thursday": minutes,
                             "friday": minutes if r["works_friday"] else 0},
            "jobTitle": r["job_title"], **stamps(r)}


def render_project(r: dict) -> dict:
    return {"id": r["id"], "name": r["name"], "isTemplate": False, "isArchived": bool(r["is_archived"]),
            "isConfirmed": bool(r["is_confirmed"]), "pricingModel": r["pricing_model"], "rateType": "hours",
            "teamId": r["team_id"], "budget": money(r["budget"]), "expensesBudget": None,
            "references": [{"referenceName": "finance.code", "externalId": r["finance_code"]}],
            "clientId": r["client_id"], "rateCardId": r["rate_card_id"],
            "customFields": {"select": [], "text": [], "checkbox": [], "date": []}, "managerIds": [],
            "tags": [{"id": 9100 + ["support", "ktlo", "strategic"].index(r["project_kind"]),
                      "name": r["project_kind"]}], **stamps(r)}


def render_assignment(r: dict) -> dict:
    return {"id": r["id"], "personId": r["person_id"], "startDate": day(r["start_date"]),
            "endDate": day(r["end_date"]), "projectId": r["project_id"], "minutesPerDay": int(r["minutes_per_day"]),
            "roleId": r["role_id"], "isActive": True, "note": None, "isBillable": bool(r["is_billable"]),
            "phaseId": r["phase_id"], "isNonWorkingDay": False, "isTemplate": False,
            "isPlaceholder": bool(r["is_placeholder"]), "workstreamId": None, **stamps(r)}


def render_actual(r: dict) -> dict:
    return {"id": r["id"], "date": day(r["date"]), "billableMinutes": int(r["billable_minutes"]),
            "nonbillableMinutes": int(r["nonbillable_minutes"]), "billableNote": r["billable_note"],
            "nonbillableNote": r["nonbillable_note"], "phaseId": r["phase_id"], "personId": r["person_id"],
            "projectId": r["project_id"], "roleId": r["role_id"], "workstreamId": None, **stamps(r)}


def render_time_off(r: dict) -> dict:
    out = {"id": r["id"], "personId": r["person_id"], "startDate": day(r["start_date"]),
           "endDate": day(r["end_date"]), "note": r["note"],
           "minutesPerDay": None if r["minutes_per_day"] is None else int(r["minutes_per_day"]), **stamps(r)}
    if "holiday_id" in r:
        out["holidayId"] = r["holiday_id"]
    return out


def render_event(r: dict) -> dict:
    kind = r["event_type"].removesuffix("_deleted")
    key = {"time_off": "timeOff"}.get(kind, kind)
    obj = {"id": r["object_id"]}
    if r["person_id"] is not None:
        obj["personId"] = r["person_id"]
    if r["project_id"] is not None:
        obj["projectId"] = r["project_id"]
    obj["date" if kind == "actual" else "startDate"] = day(r["object_date"])
    return {"eventId": r["id"], "type": r["event_type"],
            "actor": {"type": "user", "email": "resourcing@acme-corp.example"},
            "timestamp": ts(r["created_at"]), key: obj}


RENDER: dict[str, Callable[[dict], dict]] = {
    "people": render_person,
    "contracts": render_contract,
    "teams": lambda r: {"id": r["id"], "name": r["name"], **stamps(r)},
    "roles": lambda r: {"id": r["id"], "name": r["name"], "isArchived": bool(r["is_archived"]),
                        "defaultHourCost": money(r["default_hour_cost"]), "standardRate": money(r["standard_rate"]),
                        "references": [], "personIds": list(r["person_ids"]), **stamps(r)},
    "skills": lambda r: {"id": r["id"], "name": r["name"], **stamps(r)},
    "clients": lambda r: {"id": r["id"], "name": r["name"], "website": None, "isArchived": False, "references": [],
                          **stamps(r)},
    "projects": render_project,
    "budget-roles": lambda r: {"projectId": r["project_id"], "roleId": r["role_id"],
                               "estimatedMinutes": int(r["estimated_minutes"]),
                               "estimatedBudget": money(r["estimated_budget"])},
    "phases": lambda r: {"id": r["id"], "name": r["name"], "color": r["color"], "startDate": day(r["start_date"]),
                         "endDate": day(r["end_date"]), "projectId": r["project_id"], **stamps(r)},
    "assignments": render_assignment,
    "actuals": render_actual,
    "time-offs/leave": render_time_off,
    "time-offs/rostered-off": render_time_off,
    "time-offs/holidays": render_time_off,
    "holiday-groups": lambda r: {"id": r["id"], "name": r["name"], "countryCode": r["country_code"],
                                 "countryName": r["country_name"], "regionName": r["region_name"],
                                 "holidayIds": list(r["holiday_ids"]), **stamps(r)},
    "placeholders": lambda r: {"id": r["id"], "name": r["name"], "roleId": r["role_id"], "teamId": r["team_id"],
                               "isArchived": bool(r["is_archived"]), "isPlaceholder": True, "references": [],
                               "tags": [], **stamps(r)},
    "rate-cards": lambda r: {"id": r["id"], "name": r["name"], "description": None, "isArchived": False,
                             "references": [], "isBlendedRateCard": bool(r["is_blended"]),
                             "blendedRate": money(r["blended_rate"]) or 0, "rateType": "hours",
                             "projectIds": list(r["project_ids"]), **stamps(r)},
    "activity-log": render_event,
}


@dataclass(frozen=True)
class Endpoint:
    """One list endpoint: its snapshot, page limits, required parameters and filters."""

    path: str
    sql: Callable[[], str]
    default_limit: int = 50
    max_limit: int = 200
    required: tuple[str, ...] = ()
    #: query parameter -> SQL predicate with one ``?`` (values are passed as parameters)
    filters: dict[str, str] = field(default_factory=dict)
    sortable: bool = True


def _const(sql: str) -> Callable[[], str]:
    return lambda: sql


ENDPOINTS: dict[str, Endpoint] = {e.path: e for e in [
    Endpoint("people", people_sql, filters={"personId": "id = cast(? as bigint)"}),
    Endpoint("contracts", contracts_sql, required=("sortBy",), filters={"personId": "person_id = cast(? as bigint)"}),
    Endpoint("teams", _const(TEAMS_SQL)),
    Endpoint("roles", roles_sql),
    Endpoint("skills", skills_sql),
    Endpoint("clients", _const(CLIENTS_SQL), required=("sortBy",)),
    Endpoint("projects", projects_sql, required=("includeArchived",)),
    Endpoint("budget-roles", budget_roles_sql, 100, 500, filters={"projectId": "project_id = cast(? as bigint)"}),
    Endpoint("phases", phases_sql, 100, 500, filters={"projectId": "project_id = cast(? as bigint)"}),
    Endpoint("assignments", assignments_sql, 100, 500, filters={
        "personId": "person_id = cast(? as bigint)", "projectId": "project_id = cast(? as bigint)",
        "roleId": "role_id = cast(? as bigint)",
        # overlap semantics: an assignment touching [startDate, endDate] is returned
        "startDate": "end_date >= cast(? as date)", "endDate": "start_date <= cast(? as date)"}),
    Endpoint("actuals", actuals_sql, 100, 500, filters={
        "personId": "person_id = cast(? as bigint)", "projectId": "project_id = cast(? as bigint)",
        "roleId": "role_id = cast(? as bigint)", "minDate": "date >= cast(? as date)",
        "maxDate": "date <= cast(? as date)"}),
    Endpoint("time-offs/leave", leave_sql, required=("sortBy",), filters={"personId": "person_id = cast(? as bigint)"}),
    Endpoint("time-offs/rostered-off", rostered_off_sql, required=("sortBy",),
             filters={"personId": "person_id = cast(? as bigint)"}),
    Endpoint("time-offs/holidays", holiday_time_offs_sql, required=("sortBy",),
             filters={"personId": "person_id = cast(? as bigint)"}),
    Endpoint("holiday-groups", holiday_groups_sql),
    Endpoint("placeholders", placeholders_sql),
    Endpoint("rate-cards", rate_cards_sql),
    Endpoint("activity-log", activity_log_sql, sortable=False),
]}

SORT_COLUMNS = {"id": "id", "createdAt": "created_at", "updatedAt": "updated_at"}
MODIFIED_AFTER = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z)?")


class BadRequest(Exception):
    pass


class FakeRunn(FakeAPI):
    name = "runn"

    def __init__(self, store: OrgStore, *, token: str = "LIVE_secret-runn-token",
                 rate_limit: tuple[int, float] | None = (300, 60.0), **kwargs) -> None:
        self.token = token
        self.rate_limit = rate_limit
        self._calls: deque[float] = deque()
        self._rate_lock = threading.Lock()
        self._rate_headers = threading.local()
        super().__init__(store, **kwargs)

    def routes(self):
        return [("GET", "/" + re.escape(path) + "/?", self._handler(endpoint))
                for path, endpoint in ENDPOINTS.items()]

    def error_body(self, status: int) -> dict:
        reason = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests"}.get(
            status, "Internal Server Error")
        return {"error": reason, "message": reason, "statusCode": status}

    @staticmethod
    def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        reason = {400: "Bad Request", 401: "Unauthorized", 429: "Too Many Requests"}[status]
        return Response(status, {"error": reason, "message": message, "statusCode": status}, headers or {})

    def authorize(self, request: Request) -> Response | None:
        self._rate_headers.value = None
        if bearer_token(request) != self.token:
            return self._error(401, "Invalid or missing API token")
        version = request.headers.get("accept-version")
        if version is None:
            return self._error(400, "Missing required header: Accept-Version (use 1.0.0)")
        if version != ACCEPT_VERSION:
            return self._error(400, f"Unsupported API version '{version}' in Accept-Version (use 1.0.0)")
        if self.rate_limit is not None:
            limit, per = self.rate_limit
            with self._rate_lock:
                now = time.monotonic()
                while self._calls and now - self._calls[0] >= per:
                    self._calls.popleft()
                reset = max(int(per - (now - self._calls[0])) + 1, 1) if self._calls else int(per)
                if len(self._calls) >= limit:
                    return self._error(429, "Too many requests, please retry later",
                                       {"retry-after": str(reset), "x-ratelimit-reset": str(reset),
                                        "x-ratelimit-limit": str(limit), "x-ratelimit-remaining": "0"})
                self._calls.append(now)
                self._rate_headers.value = {"x-ratelimit-limit": str(limit),
                                            "x-ratelimit-remaining": str(limit - len(self._calls)),
                                            "x-ratelimit-reset": str(reset)}
        return None

    def _handler(self, endpoint: Endpoint) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            try:
                response = self._list(request, endpoint)
            except BadRequest as exc:
                return self._error(400, str(exc))
            response.headers.update(getattr(self._rate_headers, "value", None) or {})
            return response

        return handle

    def _list(self, request: Request, endpoint: Endpoint) -> Response:
        for name in endpoint.required:
            if request.arg(name) is None:
                raise BadRequest(f"querystring must have required property '{name}'")
        limit = self._limit(request, endpoint) * self.page_scale
        where, params = ["true"], []
        if endpoint.sortable:
            sort_by = request.arg("sortBy", "id")
            if sort_by not in SORT_COLUMNS:
                raise BadRequest("querystring/sortBy must be equal to one of the allowed values: id, createdAt, "
                                 "updatedAt")
            column, order = SORT_COLUMNS[sort_by], request.arg("order", "asc")
            modified_after = request.arg("modifiedAfter")
            if modified_after is not None:
                where.append("updated_at > cast(? as timestamptz)")
                params.append(self._moment(modified_after, "modifiedAfter"))
        else:  # the activity log: by time, newest first unless asked otherwise
            column, order = "created_at", request.arg("order", "desc")
            types = request.args("eventType")
            if types:
                where.append("event_type in (" + ", ".join("?" for _ in types) + ")")
                params.extend(types)
            occurred_after = request.arg("occurredAfter")
            if occurred_after is not None:
                where.append("created_at > cast(? as timestamptz)")
                params.append(self._moment(occurred_after, "occurredAfter"))
        if order not in ("asc", "desc"):
            raise BadRequest("querystring/order must be equal to one of the allowed values: asc, desc")
        if endpoint.path == "projects" and request.arg("includeArchived") == "false":
            where.append("not is_archived")
        for name, predicate in endpoint.filters.items():
            if request.arg(name) is not None:
                where.append(predicate)
                params.append(request.arg(name))
        query_key = f"{endpoint.path}|{column}|{order}"
        cursor = request.arg("cursor")
        if cursor:
            last_value, last_id = self._decode(cursor, query_key)
            op = ">" if order == "asc" else "<"
            where.append(f"({column} {op} ? or ({column} = ? and id {op} ?))")
            params.extend([last_value, last_value, last_id])
        table = self.store.snapshot("runn_" + re.sub(r"\W", "_", endpoint.path), endpoint.sql())
        rows = self.store.cursor().execute(
            f"select * from {table} where {' and '.join(where)} order by {column} {order}, id {order} "
            f"limit {limit + 1}", params)
        columns = [d[0] for d in rows.description]
        records = [dict(zip(columns, r, strict=True)) for r in rows.fetchall()]
        more = len(records) > limit
        records = records[:limit]
        next_cursor = self._encode(records[-1][column], records[-1]["id"], query_key) if more else None
        render = RENDER[endpoint.path]
        return Response(200, {"values": [render(r) for r in records], "nextCursor": next_cursor})

    @staticmethod
    def _limit(request: Request, endpoint: Endpoint) -> int:
        raw = request.arg("limit")
        if raw is None:
            return endpoint.default_limit
        try:
            limit = int(raw)
        except ValueError:
            raise BadRequest("querystring/limit must be integer") from None
        if limit < 1:
            raise BadRequest("querystring/limit must be >= 1")
        if limit > endpoint.max_limit:
            raise BadRequest(f"querystring/limit must be <= {endpoint.max_limit}")
        return limit

    @staticmethod
    def _moment(raw: str, name: str) -> str:
        if not MODIFIED_AFTER.fullmatch(raw):
            raise BadRequest(f"querystring/{name} must match format YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
        return raw if "T" in raw else raw + "T00:00:00Z"

    @staticmethod
    def _encode(value, record_id, query_key: str) -> str:
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        raw = json.dumps({"q": query_key, "v": value, "id": record_id}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _decode(cursor: str, query_key: str) -> tuple[object, object]:
        try:
            doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except ValueError:
            raise BadRequest("Invalid cursor") from None
        if not isinstance(doc, dict) or doc.get("q") != query_key:
            raise BadRequest("Invalid cursor: it belongs to another query (keep sortBy and order)")
        return doc["v"], doc["id"]

"""SQL that renders the synthetic org as Jira Cloud / JSM sees it, as of the store clock.

Kept apart from the HTTP handlers (``connectors/fakes/jira.py``): these builders only
say what a Jira site holding our tickets looks like; the handlers say how it is served.

Mapping of the synthetic org (documented in the README's Sources table too):

* Tickets with ``source = 'jira'`` are JSM issues: incidents in project ``OPS``
  ("IT Operations", issue type *Incident*), service requests in ``ITSD`` ("IT Service
  Desk", issue type *Service Request*); ids ``10000 + n``, keys numbered per project.
* Statuses (JSM ITSM workflow): new -> *Open* (To Do), in_progress -> *In Progress*,
  on_hold -> *Waiting for customer* (In Progress category), resolved -> *Resolved*,
  closed -> *Closed*, canceled -> *Canceled* (all Done). Priorities 1..5 -> Highest..Lowest.
* The assigned team is the Atlassian **Team** custom field (``{"id": <uuid>, "name": ...}``);
  the business service is the issue's **component**; the JSM **Request Type** field carries
  the portal request type.
* SLA fields "Time to first response" and "Time to resolution" hold JSM cycles computed from
  the ticket history on a 24/7 calendar: goals by priority at cycle start, time in
  *Waiting for customer* paused (resolution SLA only), a reopen starting a new cycle.
* History: one changelog entry per event that changed a visible field (status, priority,
  Team, assignee, resolution), plus the *Satisfaction* field set when the customer rates.
* Datetimes are rendered like Jira does: ``2026-10-01T08:15:02.417-0700`` in the API user's
  profile time zone, milliseconds included (a deterministic fraction of a second is added
  to every event, so millisecond precision matters to connectors as it does for real).
* Deleted tickets disappear entirely (Jira keeps no tombstones).
"""

from __future__ import annotations

from dataclasses import dataclass

#: the well-known account id of Atlassian's "Automation for Jira" app user
AUTOMATION_ACCOUNT_ID = "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"

#: SLA goals in minutes per priority (1 Highest .. 5 Lowest)
FIRST_RESPONSE_GOAL_MIN = {1: 30, 2: 60, 3: 240, 4: 480, 5: 960}
RESOLUTION_GOAL_MIN = {1: 240, 2: 480, 3: 1440, 4: 4320, 5: 7200}

PROJECTS = [
    # id, key, name, type, issue type of the project's tickets, JSM service desk id
    ("10000", "ITSD", "IT Service Desk", "service_desk", "service_request", "1"),
    ("10001", "OPS", "IT Operations", "service_desk", "incident", "2"),
    ("10002", "PLAT", "Platform Engineering", "software", None, None),
]


@dataclass(frozen=True)
class FieldIds:
    """Custom field ids of this fake site (they differ between real sites)."""

    team: str = "customfield_10001"
    request_type: str = "customfield_10010"
    time_to_resolution: str = "customfield_10030"
    time_to_first_response: str = "customfield_10031"
    satisfaction: str = "customfield_10034"
    satisfaction_date: str = "customfield_10035"


def jira_time(ts: str, tz: str) -> str:
    """SQL: a TIMESTAMPTZ as Jira renders it, ``2024-06-26T21:42:35.953-0700`` in ``tz``."""
    local = f"timezone('{tz}', {ts})"
    off = f"cast(round(epoch({local}) - epoch({ts})) as bigint)"
    return (
        f"(strftime({local}, '%Y-%m-%dT%H:%M:%S.%g') || case when {off} < 0 then '-' else '+' end"
        f" || lpad(cast(abs({off}) // 3600 as varchar), 2, '0')"
        f" || lpad(cast(abs({off}) % 3600 // 60 as varchar), 2, '0'))"
    )


def time_object(ts: str, tz: str) -> str:
    """SQL: a JSM DateDTO ``{"iso8601", "jira", "friendly", "epochMillis"}``."""
    return (
        f"json_object('iso8601', strftime(timezone('UTC', {ts}), '%Y-%m-%dT%H:%M:%S') || '+0000', "
        f"'jira', {jira_time(ts, tz)}, "
        f"'friendly', strftime(timezone('{tz}', {ts}), '%d/%b/%y %I:%M %p'), "
        f"'epochMillis', epoch_ms({ts}))"
    )


def duration_object(ms: str) -> str:
    """SQL: a JSM DurationDTO ``{"millis", "friendly"}`` (``115h 25m``, ``-96h``, ``25m``)."""
    hours = f"(abs({ms}) // 3600000)"
    minutes = f"(abs({ms}) % 3600000 // 60000)"
    friendly = (
        f"case when {ms} < 0 then '-' else '' end || case "
        f"when {hours} > 0 and {minutes} > 0 "
        f"then cast({hours} as varchar) || 'h ' || cast({minutes} as varchar) || 'm' "
        f"when {hours} > 0 then cast({hours} as varchar) || 'h' "
        f"else cast({minutes} as varchar) || 'm' end"
    )
    return f"json_object('millis', {ms}, 'friendly', {friendly})"


def jitter(ticket: str, ts: str) -> str:
    """SQL: ``ts`` plus a deterministic 0..999 ms, the same for the same (ticket, second)."""
    return (
        f"({ts} + to_milliseconds(cast(('0x' || substr(md5(cast({ticket} as varchar) || '@' || "
        f"cast(epoch({ts}) as varchar)), 1, 6)) as bigint) % 1000))"
    )


def _values(rows: list[tuple], columns: str) -> str:
    def lit(v) -> str:
        return "null" if v is None else "'" + str(v).replace("'", "''") + "'"

    body = ", ".join("(" + ", ".join(lit(v) for v in row) + ")" for row in rows)
    return f"(select * from (values {body}) as v({columns}))"


STATUSES = [
    # synthetic status, Jira id, name, category id, category key, category name, colour
    ("new", "1", "Open", 2, "new", "To Do", "blue-gray"),
    ("in_progress", "3", "In Progress", 4, "indeterminate", "In Progress", "yellow"),
    ("on_hold", "10100", "Waiting for customer", 4, "indeterminate", "In Progress", "yellow"),
    ("resolved", "5", "Resolved", 3, "done", "Done", "green"),
    ("closed", "6", "Closed", 3, "done", "Done", "green"),
    ("canceled", "10101", "Canceled", 3, "done", "Done", "green"),
]
PRIORITIES = [(1, "1", "Highest"), (2, "2", "High"), (3, "3", "Medium"), (4, "4", "Low"), (5, "5", "Lowest")]
RESOLUTIONS = [("Done", "10000", "Work has been completed on this issue."),
               ("Won't Do", "10001", "This issue won't be actioned.")]
REQUEST_TYPES = [
    # ticket type, category (None = any other), id, name
    ("incident", None, "11", "Report a system problem"),
    ("service_request", "hardware", "12", "Request new hardware"),
    ("service_request", "software", "13", "Request new software"),
    ("service_request", "access", "14", "Request access"),
    ("service_request", None, "15", "Get IT help"),
]


class JiraSQL:
    """The snapshot queries of one fake site (time zone, site URL and field ids)."""

    def __init__(self, *, time_zone: str, site: str, fields: FieldIds) -> None:
        self.tz = time_zone
        self.site = site.replace("'", "''")
        self.f = fields

    def jt(self, ts: str) -> str:
        return jira_time(ts, self.tz)

    # -- users ---------------------------------------------------------------------------------

    def users(self) -> str:
        """Staff (atlassian accounts), portal customers and app users, with their JSON."""
        site = self.site
        return f"""
with staff as (
    select substr(md5('jira-user:' || cast(p.person_id as varchar)), 1, 24) as account_id,
           'atlassian' as account_type, p.person_id, null::bigint as requester_id,
           p.first_name || ' ' || p.last_name as display_name, p.email as email,
           p.leave_date is null or p.leave_date > cast($clock as date) as active,
           t.timezone as time_zone, false as hidden
    from people p join teams t using (team_id)
    where p.hire_date <= cast($clock as date) and not p.is_placeholder
),
customer as (
    select 'qm:' || substr(m, 1, 8) || '-' || substr(m, 9, 4) || '-' || substr(m, 13, 4) || '-'
               || substr(m, 17, 4) || '-' || substr(m, 21, 12) || ':' || substr(md5(m), 1, 24) as account_id,
           'customer' as account_type, null::bigint as person_id, r.requester_id,
           r.first_name || ' ' || r.last_name as display_name,
           -- customers' profile visibility hides some addresses: the key is then absent
           case when substr(m, 1, 1) = '0' then null else r.email end as email,
           true as active, coalesce(z.timezone, 'Etc/UTC') as time_zone,
           -- accounts the API user may not browse: they take a slot in a page but are not returned
           substr(m, 2, 1) = 'f' as hidden
    from (select *, md5('jira-customer:' || cast(requester_id as varchar)) as m from requesters) r
    left join (select region, min(timezone) as timezone from teams group by region) z using (region)
),
app as (
    select * from (values
        ('{AUTOMATION_ACCOUNT_ID}', 'app', null::bigint, null::bigint, 'Automation for Jira', null, true,
         'Etc/UTC', false),
        ('557058:0867a421-a9ee-4659-801a-bc0ee4a4487e', 'app', null, null,
         'Jira Service Management Widget', null, true, 'Etc/UTC', false)
    ) as a(account_id, account_type, person_id, requester_id, display_name, email, active, time_zone, hidden)
),
everyone as (select * from staff union all select * from customer union all select * from app)
select *,
    case when email is null then json_object(
            'self', '{site}/rest/api/3/user?accountId=' || account_id, 'accountId', account_id,
            'accountType', account_type,
            'avatarUrls', json_object('48x48', 'https://avatar-management.example/' || account_id || '/48'),
            'displayName', display_name, 'active', active, 'timeZone', time_zone, 'locale', 'en_US')
         else json_object(
            'self', '{site}/rest/api/3/user?accountId=' || account_id, 'accountId', account_id,
            'accountType', account_type, 'emailAddress', email,
            'avatarUrls', json_object('48x48', 'https://avatar-management.example/' || account_id || '/48'),
            'displayName', display_name, 'active', active, 'timeZone', time_zone, 'locale', 'en_US')
    end as doc
from everyone
"""

    # -- issues --------------------------------------------------------------------------------

    def _lookups(self) -> str:
        site = self.site
        statuses = _values(STATUSES, "status, status_id, status_name, cat_id, cat_key, cat_name, cat_colour")
        priorities = _values(PRIORITIES, "priority, priority_id, priority_name")
        resolutions = _values(RESOLUTIONS, "resolution_name, resolution_id, resolution_description")
        projects = _values(PROJECTS, "project_id, project_key, project_name, project_type, ticket_type, desk_id")
        request_types = _values(REQUEST_TYPES, "ticket_type, category, request_type_id, request_type_name")
        goals = _values(
            [(p, FIRST_RESPONSE_GOAL_MIN[p] * 60000, RESOLUTION_GOAL_MIN[p] * 60000) for p in range(1, 6)],
            "priority, frt_goal_ms, ttr_goal_ms",
        )
        return f"""
status_ref as (
    select cast(status as varchar) as status, status_id, status_name, cast(cat_id as integer) as cat_id, cat_key,
           cat_name,
           json_object('self', '{site}/rest/api/3/status/' || status_id, 'description', '',
                       'iconUrl', '{site}/images/icons/statuses/generic.png', 'name', status_name,
                       'id', status_id,
                       'statusCategory', json_object('self', '{site}/rest/api/3/statuscategory/' || cat_id,
                                                     'id', cast(cat_id as integer), 'key', cat_key,
                                                     'colorName', cat_colour, 'name', cat_name)) as doc
    from {statuses}
),
priority_ref as (
    select cast(priority as integer) as priority, priority_id, priority_name,
           json_object('self', '{site}/rest/api/3/priority/' || priority_id,
                       'iconUrl', '{site}/images/icons/priorities/' || lower(priority_name) || '.svg',
                       'name', priority_name, 'id', priority_id) as doc
    from {priorities}
),
resolution_ref as (
    select resolution_name, resolution_id,
           json_object('self', '{site}/rest/api/3/resolution/' || resolution_id, 'id', resolution_id,
                       'description', resolution_description, 'name', resolution_name) as doc
    from {resolutions}
),
project_ref as (
    select *,
           json_object('self', '{site}/rest/api/3/project/' || project_id, 'id', project_id, 'key', project_key,
                       'name', project_name, 'projectTypeKey', project_type, 'simplified', false,
                       'avatarUrls', json_object('48x48', '{site}/rest/api/3/universal_avatar/view/type/project/'
                                                            || 'avatar/10400')) as doc
    from {projects}
),
request_type_ref as (select * from {request_types}),
goals as (select cast(priority as integer) as priority, cast(frt_goal_ms as bigint) as frt_goal_ms,
                 cast(ttr_goal_ms as bigint) as ttr_goal_ms from {goals}),
team_ref as (
    select team_id, team_name,
           substr(m, 1, 8) || '-' || substr(m, 9, 4) || '-' || substr(m, 13, 4) || '-' || substr(m, 17, 4)
               || '-' || substr(m, 21, 12) as team_uuid
    from (select *, md5('jira-team:' || cast(team_id as varchar)) as m from teams)
)"""

    def _events(self, users_table: str) -> str:
        """CTEs ``jira`` (ticket -> issue id/key) and ``ev`` (visible events with Jira millisecond stamps)."""
        return f"""
jira as (
    select t.*, 10000 + row_number() over (order by t.ticket_id) as issue_id,
           p.project_id, p.project_key, p.project_name, p.desk_id,
           row_number() over (partition by t.ticket_type order by t.ticket_id) as key_number
    from tickets t join project_ref p on p.ticket_type = t.ticket_type
    where t.source = 'jira'
),
live as (
    select ticket_id from ticket_events join jira using (ticket_id)
    where event_at <= $clock
    group by ticket_id having not bool_or(is_deleted)
),
ev as (
    select e.ticket_id, e.seq, e.event, e.status, cast(e.priority as integer) as priority, e.team_id,
           e.assignee_id, e.reopen_count, {jitter('e.ticket_id', 'e.event_at')} as ts,
           {jitter('e.ticket_id', 'e.first_response_at')} as first_response_at,
           {jitter('e.ticket_id', 'e.resolved_at')} as resolved_at,
           {jitter('e.ticket_id', 'e.closed_at')} as closed_at,
           case when e.status = 'new' then 'new' when e.status in ('in_progress', 'on_hold') then 'indeterminate'
                else 'done' end as cat_key,
           case when e.status in ('resolved', 'closed') then 'Done' when e.status = 'canceled' then 'Won''t Do'
           end as resolution_name,
           a.account_id as assignee_account_id
    from ticket_events e
    join live using (ticket_id)
    left join {users_table} a on a.person_id = e.assignee_id
    where e.event_at <= $clock
)"""

    def issues(self, users_table: str) -> str:
        """One row per visible issue: filter/sort columns for JQL, the ``fields`` JSON and its history."""
        site, f = self.site, self.f
        jt = self.jt
        return f"""
with {self._lookups()},
{self._events(users_table)},
ev_prev as (
    select ev.*,
           lag(status) over w as prev_status, lag(priority) over w as prev_priority,
           lag(team_id) over w as prev_team_id, lag(assignee_account_id) over w as prev_assignee,
           lag(resolution_name) over w as prev_resolution, lag(cat_key) over w as prev_cat_key
    from ev window w as (partition by ticket_id order by seq)
),
version as (
    select * from ev_prev qualify row_number() over (partition by ticket_id order by seq desc) = 1
),
csat as (
    select c.ticket_id, c.score, c.comment, {jitter('c.ticket_id', 'c.responded_at')} as ts
    from csat_responses c join live using (ticket_id)
    where c.responded_at <= $clock
),
changes as (
    select ticket_id,
           max(ts) filter (where prev_cat_key is null or prev_cat_key <> cat_key) as category_changed_at,
           max(ts) filter (where prev_status is null or prev_status <> status) as status_changed_at
    from ev_prev group by ticket_id
),
-- SLA: time to first response, one cycle from creation to the first public reply (no pause)
frt as (
    select j.ticket_id, g.frt_goal_ms as goal, c.ts as start_at,
           case when v.first_response_at <= $clock then v.first_response_at end as stop_at
    from jira j join ev c on c.ticket_id = j.ticket_id and c.event = 'create'
    join version v on v.ticket_id = j.ticket_id
    join goals g on g.priority = c.priority
),
frt_calc as (
    select *, epoch_ms(coalesce(stop_at, $clock)) - epoch_ms(start_at) as elapsed, 0::bigint as paused_ms,
           start_at + to_milliseconds(goal) as breach_at, false as paused_now
    from frt
),
-- SLA: time to resolution, one cycle per (re)opening, paused while waiting for the customer
ttr_cycles as (
    select ticket_id, reopen_count as cycle,
           min(ts) filter (where event in ('create', 'reopen')) as start_at,
           min(ts) filter (where event in ('resolve', 'cancel')) as stop_at,
           arg_min(priority, seq) as priority
    from ev group by ticket_id, reopen_count
),
ttr_iv as (
    select ev.ticket_id, ev.reopen_count as cycle, ev.seq, ev.status = 'on_hold' as paused, ev.ts as iv_start,
           least(coalesce(lead(ev.ts) over (partition by ev.ticket_id order by ev.seq), $clock),
                 coalesce(c.stop_at, $clock)) as iv_end
    from ev join ttr_cycles c on c.ticket_id = ev.ticket_id and c.cycle = ev.reopen_count
),
ttr_run as (
    select *, epoch_ms(iv_end) - epoch_ms(iv_start) as len,
           coalesce(sum(case when paused then 0 else epoch_ms(iv_end) - epoch_ms(iv_start) end) over (
               partition by ticket_id, cycle order by iv_start, seq
               rows between unbounded preceding and 1 preceding), 0) as run_before
    from ttr_iv where iv_end > iv_start
),
ttr_calc as (
    select c.ticket_id, c.cycle, c.start_at, c.stop_at, g.ttr_goal_ms as goal,
           coalesce(sum(r.len) filter (where not r.paused), 0) as elapsed,
           coalesce(sum(r.len) filter (where r.paused), 0) as paused_ms,
           min(r.iv_start + to_milliseconds(g.ttr_goal_ms - r.run_before)) filter (
               where not r.paused and r.run_before < g.ttr_goal_ms and r.run_before + r.len >= g.ttr_goal_ms
           ) as crossing_at,
           c.stop_at is null and any_value(v.status) = 'on_hold' as paused_now
    from ttr_cycles c
    join goals g on g.priority = c.priority
    join version v on v.ticket_id = c.ticket_id
    left join ttr_run r on r.ticket_id = c.ticket_id and r.cycle = c.cycle
    group by c.ticket_id, c.cycle, c.start_at, c.stop_at, g.ttr_goal_ms
),
sla_cycles as (
    select 'frt' as sla, ticket_id, 0 as cycle, start_at, stop_at, goal, elapsed, paused_ms, breach_at,
           paused_now from frt_calc
    union all
    select 'ttr', ticket_id, cycle, start_at, stop_at, goal, elapsed, paused_ms,
           coalesce(crossing_at, start_at + to_milliseconds(goal + paused_ms)), paused_now from ttr_calc
),
sla_json as (
    select sla, ticket_id,
           list(json_object(
                'startTime', {time_object('start_at', self.tz)},
                'stopTime', {time_object('stop_at', self.tz)},
                'breachTime', {time_object('breach_at', self.tz)},
                'breached', elapsed > goal,
                'goalDuration', {duration_object('goal')},
                'elapsedTime', {duration_object('elapsed')},
                'remainingTime', {duration_object('goal - elapsed')})
                order by cycle) filter (where stop_at is not null) as completed,
           any_value(case when paused_now then json_object(
                'startTime', {time_object('start_at', self.tz)},
                'breached', elapsed > goal, 'paused', true, 'withinCalendarHours', true,
                'goalDuration', {duration_object('goal')},
                'elapsedTime', {duration_object('elapsed')},
                'remainingTime', {duration_object('goal - elapsed')})
              else json_object(
                'startTime', {time_object('start_at', self.tz)},
                'breachTime', {time_object('breach_at', self.tz)},
                'breached', elapsed > goal, 'paused', false, 'withinCalendarHours', true,
                'goalDuration', {duration_object('goal')},
                'elapsedTime', {duration_object('elapsed')},
                'remainingTime', {duration_object('goal - elapsed')}) end) filter (where stop_at is null) as ongoing
    from sla_cycles group by sla, ticket_id
),
sla_field as (
    select ticket_id, sla,
           case when ongoing is null then json_object(
                    'id', sla_id, 'name', sla_name,
                    '_links', json_object('self', '{site}/rest/servicedeskapi/request/' || issue_id
                                                  || '/sla/' || sla_id),
                    'completedCycles', coalesce(to_json(completed), '[]'::json),
                    'slaDisplayFormat', 'NEW_SLA_FORMAT')
                else json_object(
                    'id', sla_id, 'name', sla_name,
                    '_links', json_object('self', '{site}/rest/servicedeskapi/request/' || issue_id
                                                  || '/sla/' || sla_id),
                    'completedCycles', coalesce(to_json(completed), '[]'::json),
                    'ongoingCycle', ongoing,
                    'slaDisplayFormat', 'NEW_SLA_FORMAT') end as doc
    from (select s.*, j.issue_id,
                 case s.sla when 'frt' then '2' else '1' end as sla_id,
                 case s.sla when 'frt' then 'Time to first response' else 'Time to resolution' end as sla_name
          from sla_json s join jira j using (ticket_id))
),
-- Changelog: one history per event that changed a field the API shows, plus the CSAT rating
history_items as (
    select e.ticket_id, e.seq, e.ts, e.event, e.assignee_account_id, e.prev_assignee,
           list_filter([
               case when e.prev_status is distinct from e.status then json_object(
                   'field', 'status', 'fieldtype', 'jira', 'fieldId', 'status',
                   'from', ps.status_id, 'fromString', ps.status_name, 'to', s.status_id, 'toString', s.status_name)
               end,
               case when e.prev_priority is distinct from e.priority then json_object(
                   'field', 'priority', 'fieldtype', 'jira', 'fieldId', 'priority',
                   'from', pp.priority_id, 'fromString', pp.priority_name,
                   'to', p.priority_id, 'toString', p.priority_name)
               end,
               case when e.prev_team_id is distinct from e.team_id then json_object(
                   'field', 'Team', 'fieldtype', 'custom', 'fieldId', '{f.team}',
                   'from', pt.team_uuid, 'fromString', pt.team_name, 'to', t.team_uuid, 'toString', t.team_name)
               end,
               case when e.prev_assignee is distinct from e.assignee_account_id then json_object(
                   'field', 'assignee', 'fieldtype', 'jira', 'fieldId', 'assignee',
                   'from', e.prev_assignee, 'fromString', pa.display_name,
                   'to', e.assignee_account_id, 'toString', a.display_name,
                   'tmpFromAccountId', e.prev_assignee, 'tmpToAccountId', e.assignee_account_id)
               end,
               case when e.prev_resolution is distinct from e.resolution_name then json_object(
                   'field', 'resolution', 'fieldtype', 'jira', 'fieldId', 'resolution',
                   'from', pr.resolution_id, 'fromString', pr.resolution_name,
                   'to', r.resolution_id, 'toString', r.resolution_name)
               end
           ], lambda x: x is not null) as items
    from ev_prev e
    join status_ref s on s.status = e.status
    left join status_ref ps on ps.status = e.prev_status
    join priority_ref p on p.priority = e.priority
    left join priority_ref pp on pp.priority = e.prev_priority
    left join team_ref t on t.team_id = e.team_id
    left join team_ref pt on pt.team_id = e.prev_team_id
    left join {users_table} a on a.account_id = e.assignee_account_id
    left join {users_table} pa on pa.account_id = e.prev_assignee
    left join resolution_ref r on r.resolution_name = e.resolution_name
    left join resolution_ref pr on pr.resolution_name = e.prev_resolution
    where e.seq > 0
),
histories as (
    select h.ticket_id, h.ts, 1000000 + h.ticket_id * 100 + h.seq as history_id, h.items,
           case when h.event = 'close' then '{AUTOMATION_ACCOUNT_ID}'
                when h.event in ('resume', 'reopen') then rep.account_id
                else coalesce(h.assignee_account_id, h.prev_assignee, '{AUTOMATION_ACCOUNT_ID}') end as author_id
    from history_items h
    join jira j using (ticket_id)
    join {users_table} rep on rep.requester_id = j.requester_id
    where len(h.items) > 0
    union all
    select c.ticket_id, c.ts, 1000000 + c.ticket_id * 100 + 99, [json_object(
               'field', 'Satisfaction', 'fieldtype', 'custom', 'fieldId', '{f.satisfaction}',
               'from', null, 'fromString', null, 'to', cast(c.score as varchar), 'toString', cast(c.score as varchar))],
           rep.account_id
    from csat c join jira j using (ticket_id) join {users_table} rep on rep.requester_id = j.requester_id
),
history_docs as (
    select h.ticket_id,
           list(json_object('id', cast(h.history_id as varchar), 'author', u.doc, 'created', {jt('h.ts')},
                            'items', to_json(h.items)) order by h.ts, h.history_id) as docs
    from histories h join {users_table} u on u.account_id = h.author_id
    group by h.ticket_id
)
select
    j.issue_id, j.project_key || '-' || cast(j.key_number as varchar) as issue_key, j.ticket_id,
    j.project_id, j.project_key, j.project_name, j.key_number,
    epoch_ms(c.ts) as created_ms,
    epoch_ms(greatest(v.ts, csat.ts)) as updated_ms,
    epoch_ms(case when v.status in ('resolved', 'closed') then v.resolved_at
                  when v.status = 'canceled' then v.closed_at end) as resolved_ms,
    s.status_id, s.status_name, cast(s.cat_id as varchar) as status_category_id, s.cat_key as status_category_key,
    s.cat_name as status_category_name,
    case j.ticket_type when 'incident' then '10002' else '10003' end as issuetype_id,
    case j.ticket_type when 'incident' then 'Incident' else 'Service Request' end as issuetype_name,
    p.priority_id, p.priority_name, v.priority as priority_rank, v.assignee_account_id,
    coalesce(hd.docs, []::json[]) as histories,
    json_object(
        'summary', j.short_description,
        'issuetype', json_object(
            'self', '{site}/rest/api/3/issuetype/' || case j.ticket_type when 'incident' then '10002' else '10003' end,
            'id', case j.ticket_type when 'incident' then '10002' else '10003' end,
            'description', case j.ticket_type when 'incident' then 'For system outages or incidents.'
                                else 'Created by Jira Service Management.' end,
            'iconUrl', '{site}/rest/api/2/universal_avatar/view/type/issuetype/avatar/10553',
            'name', case j.ticket_type when 'incident' then 'Incident' else 'Service Request' end,
            'subtask', false, 'hierarchyLevel', 0),
        'project', pr.doc,
        'status', s.doc,
        'statuscategorychangedate', {jt('ch.category_changed_at')},
        'priority', p.doc,
        'assignee', au.doc,
        'reporter', rep.doc,
        'creator', rep.doc,
        'created', {jt('c.ts')},
        'updated', {jt('greatest(v.ts, csat.ts)')},
        'resolution', res.doc,
        'resolutiondate', {jt("case when v.status in ('resolved', 'closed') then v.resolved_at "
                              "when v.status = 'canceled' then v.closed_at end")},
        'labels', to_json([j.channel]),
        'components', to_json([json_object(
            'self', '{site}/rest/api/3/component/' || cast(20000 + svc.service_id as varchar),
            'id', cast(20000 + svc.service_id as varchar), 'name', svc.service_name)]),
        '{f.team}', case when t.team_id is not null then json_object(
            'id', t.team_uuid, 'name', t.team_name, 'avatarUrl', '', 'isVisible', true, 'isVerified', false,
            'title', t.team_name, 'isShared', true) end,
        '{f.request_type}', json_object(
            '_links', json_object('jiraRest', '{site}/rest/api/2/issue/' || j.issue_id,
                                  'web', '{site}/servicedesk/customer/portal/' || j.desk_id || '/'
                                         || j.project_key || '-' || cast(j.key_number as varchar),
                                  'self', '{site}/rest/servicedeskapi/request/' || j.issue_id),
            'requestType', json_object(
                'id', rt.request_type_id, 'name', rt.request_type_name, 'description', '', 'helpText', '',
                'issueTypeId', case j.ticket_type when 'incident' then '10002' else '10003' end,
                'serviceDeskId', j.desk_id, 'portalId', j.desk_id, 'groupIds', to_json(['1']),
                '_links', json_object('self', '{site}/rest/servicedeskapi/servicedesk/' || j.desk_id
                                              || '/requesttype/' || rt.request_type_id)),
            'currentStatus', json_object(
                'status', s.status_name, 'statusCategory', upper(s.cat_key),
                'statusDate', {time_object('ch.status_changed_at', self.tz)})),
        '{f.time_to_first_response}', frt.doc,
        '{f.time_to_resolution}', ttr.doc,
        '{f.satisfaction}', case when csat.score is not null then json_object('rating', csat.score) end,
        '{f.satisfaction_date}', {jt('csat.ts')}
    ) as fields
from jira j
join version v using (ticket_id)
join ev c on c.ticket_id = j.ticket_id and c.event = 'create'
join changes ch on ch.ticket_id = j.ticket_id
join status_ref s on s.status = v.status
join priority_ref p on p.priority = v.priority
join project_ref pr on pr.project_id = j.project_id
join services svc on svc.service_id = j.service_id
join {users_table} rep on rep.requester_id = j.requester_id
join request_type_ref rt on rt.ticket_type = j.ticket_type
    and (rt.category = j.category or (rt.category is null and not exists (
        select 1 from request_type_ref x where x.ticket_type = j.ticket_type and x.category = j.category)))
left join {users_table} au on au.account_id = v.assignee_account_id
left join team_ref t on t.team_id = v.team_id
left join resolution_ref res on res.resolution_name = v.resolution_name
left join csat on csat.ticket_id = j.ticket_id
left join sla_field frt on frt.ticket_id = j.ticket_id and frt.sla = 'frt'
left join sla_field ttr on ttr.ticket_id = j.ticket_id and ttr.sla = 'ttr'
left join history_docs hd on hd.ticket_id = j.ticket_id
"""

    # -- CSAT ----------------------------------------------------------------------------------

    def feedback(self, issues_table: str) -> str:
        """One row per issue with customer feedback (CSATFeedbackFullDTO), keyed by id and key."""
        return f"""
select i.issue_id, i.issue_key,
       case when c.comment is null or c.comment = '' then json_object('type', 'csat', 'rating', c.score)
            else json_object('type', 'csat', 'rating', c.score, 'comment', json_object('body', c.comment)) end
           as doc
from {issues_table} i
join csat_responses c on c.ticket_id = i.ticket_id
where {jitter('c.ticket_id', 'c.responded_at')} <= $clock
"""

"""Fake PagerDuty REST API v2 over the synthetic org's on-call incidents.

Wire format per source-apis.md section 2:

* ``GET /incidents``: ``{"incidents": [...], "limit", "offset", "total", "more"}``;
  ``limit`` at most 100 (default 25); ``total`` is null unless ``total=true``;
  ``since``/``until`` filter on the incident's **creation** time (since inclusive,
  until exclusive), default window the last month, a single bound spans one month from
  it, more than six months is a 400, ``date_range=all`` ignores both; ``statuses[]``,
  ``service_ids[]``, ``team_ids[]``, ``user_ids[]``, ``urgencies[]``, ``incident_key``,
  ``sort_by`` (up to two of incident_number/created_at/resolved_at/urgency with
  ``:asc``/``:desc``), ``include[]`` (references expanded into full objects),
  ``time_zone`` (renders timestamps with that zone's offset; UTC ``Z`` by default).
* The hard cap: ``offset + limit`` above ``max_offset`` (10,000) answers 400 with
  code 2002 and PagerDuty's own error text.
* ``GET /incidents/{id}`` (``{"incident": {...}}``), ``GET /log_entries`` and
  ``GET /incidents/{id}/log_entries`` (newest first; ``is_overview=true`` leaves out
  notification entries; ``include[]=incidents|services|teams``).
* ``GET /services``, ``/teams``, ``/escalation_policies``, ``/users``, ``/priorities``
  (and ``/{collection}/{id}``). Users who left the organisation are deleted from
  PagerDuty, so they disappear from ``/users`` (references in old incidents remain).
* ``acknowledgements`` is empty unless the incident is acknowledged, ``assignments``
  empty once it is resolved, as the real API describes them.
* ``Authorization: Token token=<key>`` (or ``Bearer <oauth token>``) and
  ``Accept: application/vnd.pagerduty+json;version=2`` are required.
* A per-key rate limit (960 requests a minute by default) answering 429 with
  ``ratelimit-limit``, ``ratelimit-remaining`` and ``ratelimit-reset`` (seconds to wait);
  every response carries the three headers.

Error bodies have PagerDuty's shape, ``{"error": {"message", "code", "errors"}}``, with
codes from its documented list (2001 invalid input, 2002 arguments caused error, 2006
authentication failed, 2100 not found).

Ids look like PagerDuty's and are deterministic: seven characters (``P`` + six base-36
digits) for users, teams, services, escalation policies and priorities, fourteen for
incidents (``Q...``) and log entries (``R...``). The six digits are a bijection of the
synthetic id, so ids never collide.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.fakes.base import FakeAPI, OrgStore, Request, Response, bearer_token

API = "https://api.pagerduty.com"
WEB = "https://acme-corp.pagerduty.com"
ACCEPT = "application/vnd.pagerduty+json;version=2"

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MOD = 36**6
# n -> (n * _MULT + salt) % 36**6 is a bijection because _MULT is coprime with 36**6 (= 2**12 * 3**12);
# _MULT ~ 0.618 * 36**6 (the golden ratio) spreads consecutive ids over the whole range.
_MULT = 1_345_300_277
_SALT_KINDS = ("team", "service", "user", "escalation_policy", "priority", "incident", "log_entry", "rule")
SALT = {kind: int(hashlib.md5(kind.encode()).hexdigest()[:12], 16) % _MOD for kind in _SALT_KINDS}

OFFSET_CAP_ERROR = ("Offset+limit exceeds maximum allowed value of {cap}. Please try to refine your search to "
                    "reduce the returned set of records below this number, like adding a date range.")

PRIORITIES = [
    (1, "P1", "Critical: a customer-facing service is down", "a8171c"),
    (2, "P2", "High: a service is degraded for many users", "eb6016"),
    (3, "P3", "Moderate: a service is degraded for some users", "f9b406"),
    (4, "P4", "Low: no customer impact yet", "0a6ce8"),
    (5, "P5", "Informational", "666666"),
]


# -- SQL helpers -------------------------------------------------------------------------------------


def pd_id(expr: str, kind: str, prefix: str = "P", tail: int = 0) -> str:
    """SQL for a PagerDuty-looking id of ``expr`` (an integer): prefix + six base-36 digits,
    plus ``tail`` md5 characters for the long (14-character) ids."""
    x = f"((cast({expr} as bigint) * {_MULT} + {SALT[kind]}) % {_MOD})"
    digits = " || ".join(
        f"substr('{ALPHABET}', cast(({x} // {36**i}) % 36 as integer) + 1, 1)" for i in reversed(range(6))
    )
    sql = f"'{prefix}' || {digits}"
    if tail:
        sql += f" || upper(substr(md5('{kind}:' || cast({expr} as varchar)), 1, {tail}))"
    return sql


def ts(column: str) -> str:
    return f"strftime({column}, '%Y-%m-%dT%H:%M:%SZ')"


def ref(kind: str, id_sql: str, summary_sql: str, path: str, web_path: str | None = None) -> str:
    """A PagerDuty ``*_reference`` object (null when the id is null)."""
    html = f", 'html_url', '{WEB}/{web_path}/' || {id_sql}" if web_path else ""
    return (f"case when {id_sql} is null then null else json_object('id', {id_sql}, 'type', '{kind}_reference', "
            f"'summary', {summary_sql}, 'self', '{API}/{path}/' || {id_sql}{html}) end")


def user_ref(id_sql: str, name_sql: str) -> str:
    return ref("user", id_sql, name_sql, "users", "users")


def team_ref(id_sql: str, name_sql: str) -> str:
    return ref("team", id_sql, name_sql, "teams", "teams")


def service_ref(id_sql: str, name_sql: str) -> str:
    return ref("service", id_sql, name_sql, "services", "service-directory")


def ep_ref(id_sql: str, name_sql: str) -> str:
    return ref("escalation_policy", id_sql, name_sql, "escalation_policies", "escalation_policies")


# Directories: every entity's PagerDuty id and name, whatever the clock (references to
# deleted users stay valid in old incidents and log entries).
DIR_TEAMS = f"select team_id, {pd_id('team_id', 'team')} as id, team_name as name, team_kind from teams"
DIR_SERVICES = f"""
select service_id, {pd_id('service_id', 'service')} as id, service_name as name, team_id, tier,
       is_customer_facing from services"""
DIR_USERS = f"""
select p.person_id, {pd_id('p.person_id', 'user')} as id, p.first_name || ' ' || p.last_name as name, p.email,
       p.team_id, p.role, p.hire_date, p.leave_date, t.timezone
from people p join teams t using (team_id)
where not p.is_placeholder"""
DIR_EPS = f"select team_id, {pd_id('team_id', 'escalation_policy')} as id, team_name || ' On-Call' as name from teams"
_PRIORITY_VALUES = ", ".join(f"({p}, '{n}', '{d}', '{c}')" for p, n, d, c in PRIORITIES)
DIR_PRIORITIES = (f"select priority, {pd_id('priority', 'priority')} as id, name, description, color "
                  f"from (values {_PRIORITY_VALUES}) as v(priority, name, description, color)")


def _incident_title(i: str = "i") -> str:
    return f"'[#' || cast({i}.incident_number as varchar) || '] ' || {i}.title"


class FakePagerDuty(FakeAPI):
    """Fake PagerDuty REST API v2. Options for tests: ``max_offset`` (the offset+limit cap),
    ``rate_limit``/``rate_window`` (requests per window per key), ``account_timezone``
    (how since/until without an offset are read)."""

    name = "pagerduty"

    def __init__(self, store: OrgStore, *, api_key: str = "pd-fake-api-key", oauth_token: str | None = None,
                 max_offset: int = 10_000, rate_limit: int = 960, rate_window: float = 60.0,
                 account_timezone: str = "America/New_York", **kwargs: Any) -> None:
        self.api_key = api_key
        self.oauth_token = oauth_token
        self.max_offset = max_offset
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.account_timezone = ZoneInfo(account_timezone)
        self._rate: dict[str, tuple[float, int]] = {}
        self._rate_lock = threading.Lock()
        self._objects: dict[str, dict[str, dict]] = {}
        self._objects_lock = threading.Lock()
        super().__init__(store, **kwargs)

    def routes(self):
        return [
            ("GET", r"/incidents", self.list_incidents),
            ("GET", r"/incidents/(?P<incident_id>[A-Z0-9]+)", self.get_incident),
            ("GET", r"/incidents/(?P<incident_id>[A-Z0-9]+)/log_entries", self.list_incident_log_entries),
            ("GET", r"/log_entries", self.list_log_entries),
            ("GET", r"/(?P<collection>services|teams|escalation_policies|users|priorities)", self.list_collection),
            ("GET", r"/(?P<collection>services|teams|escalation_policies|users)/(?P<object_id>[A-Z0-9]+)",
             self.get_object),
        ]

    # -- auth, versioning, rate limits ----------------------------------------------------------

    def _dispatch(self, request: Request) -> Response:
        # Checked here rather than in authorize() so that the rate-limit headers of this
        # request travel with its response (handler threads run concurrently).
        denied = self._check_credentials(request)
        if denied is not None:
            return denied
        limited, rate_headers = self._take_rate(request.headers.get("authorization", ""))
        response = limited or super()._dispatch(request)
        response.headers = {**rate_headers, **response.headers}
        return response

    def _check_credentials(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        match = re.fullmatch(r"(?i)token token=(.+)", header.strip())
        key = match.group(1) if match else None
        if key != self.api_key and not (self.oauth_token is not None and bearer_token(request) == self.oauth_token):
            return Response(401, {"error": {"message": "Authentication Failed", "code": 2006,
                                            "errors": ["Invalid or missing Authorization header"]}})
        accept = request.headers.get("accept", "").replace(" ", "")
        if ACCEPT not in accept:
            return self._invalid(f"Accept header must be {ACCEPT}")
        return None

    def _take_rate(self, identity: str) -> tuple[Response | None, dict[str, str]]:
        """Fixed windows of ``rate_window`` seconds per credential, like PagerDuty's per-key limit."""
        now = time.monotonic()
        with self._rate_lock:
            started, used = self._rate.get(identity, (now, 0))
            if now - started >= self.rate_window:
                started, used = now, 0
            used += 1
            self._rate[identity] = (started, used)
        reset = max(math.ceil(started + self.rate_window - now), 1)
        headers = {"ratelimit-limit": str(self.rate_limit), "ratelimit-remaining": str(max(self.rate_limit - used, 0)),
                   "ratelimit-reset": str(reset)}
        if used > self.rate_limit:
            return Response(429, self.error_body(429)), headers
        return None, headers

    def error_body(self, status: int) -> dict:
        if status == 429:
            return {"error": {"message": "Rate Limit Exceeded", "errors": ["Too many requests"]}}
        if status == 404:
            return {"error": {"message": "Not Found", "code": 2100}}
        return {"error": {"message": "Internal Server Error" if status >= 500 else f"HTTP {status}"}}

    @staticmethod
    def _invalid(*errors: str, code: int = 2001, message: str = "Invalid Input Provided") -> Response:
        return Response(400, {"error": {"message": message, "code": code, "errors": list(errors)}})

    # -- snapshots ------------------------------------------------------------------------------

    def _dirs(self) -> dict[str, str]:
        snap = self.store.snapshot
        return {"teams": snap("pd_dir_teams", DIR_TEAMS), "services": snap("pd_dir_services", DIR_SERVICES),
                "users": snap("pd_dir_users", DIR_USERS), "eps": snap("pd_dir_eps", DIR_EPS),
                "priorities": snap("pd_dir_priorities", DIR_PRIORITIES)}

    def _users(self) -> str:
        d = self._dirs()
        return self.store.snapshot("pd_users", f"""
            select u.id, u.name, u.email, tm.id as team_id,
                json_object('id', u.id, 'type', 'user', 'summary', u.name, 'self', '{API}/users/' || u.id,
                    'html_url', '{WEB}/users/' || u.id, 'name', u.name, 'email', u.email, 'time_zone', u.timezone,
                    'color', 'green', 'avatar_url', 'https://secure.gravatar.com/avatar/' || md5(u.email) || '.png',
                    'billed', true,
                    'role', case when u.role = 'Team Lead' then 'manager' else 'user' end,
                    'description', null, 'invitation_sent', false, 'job_title', u.role,
                    'teams', json_array({team_ref('tm.id', 'tm.name')}),
                    'contact_methods', json('[]'), 'notification_rules', json('[]'))::varchar as doc
            from {d['users']} u join {d['teams']} tm using (team_id)
            where u.hire_date <= cast($clock as date)
              and (u.leave_date is null or u.leave_date > cast($clock as date))""")

    def _teams(self) -> str:
        d = self._dirs()
        return self.store.snapshot("pd_teams", f"""
            select id, name, null as team_id,
                json_object('id', id, 'type', 'team', 'summary', name, 'self', '{API}/teams/' || id,
                    'html_url', '{WEB}/teams/' || id, 'name', name,
                    'description', 'On-call responders of ' || name, 'parent', null,
                    'default_role', 'manager')::varchar as doc
            from {d['teams']}""")

    def _services(self) -> str:
        d = self._dirs()
        return self.store.snapshot("pd_services", f"""
            with last_incident as (
                select service_id, max(created_at) as at from incidents where created_at <= $clock group by 1
            )
            select s.id, s.name, tm.id as team_id,
                json_object('id', s.id, 'type', 'service', 'summary', s.name, 'self', '{API}/services/' || s.id,
                    'html_url', '{WEB}/service-directory/' || s.id, 'name', s.name,
                    'description', s.name || ' (tier ' || cast(s.tier as varchar) || ')',
                    'auto_resolve_timeout', 14400, 'acknowledgement_timeout', 1800,
                    'created_at', {ts("cast(meta.start_date as timestamptz) - interval 365 day")},
                    'status', 'active', 'last_incident_timestamp', {ts('last_incident.at')},
                    'escalation_policy', {ep_ref('ep.id', 'ep.name')},
                    'response_play', null, 'teams', json_array({team_ref('tm.id', 'tm.name')}),
                    'integrations', json('[]'),
                    'incident_urgency_rule', json_object('type', 'constant', 'urgency', 'high'),
                    'alert_creation', 'create_alerts_and_incidents', 'alert_grouping_parameters',
                    json_object('type', null))::varchar as doc
            from {d['services']} s
            join {d['teams']} tm using (team_id)
            join {d['eps']} ep using (team_id)
            left join last_incident using (service_id)
            cross join meta""")

    def _escalation_policies(self) -> str:
        d = self._dirs()
        return self.store.snapshot("pd_escalation_policies", f"""
            with on_call as (
                select u.*, row_number() over (partition by u.team_id
                    order by case when u.role = 'Team Lead' then 1 else 0 end, u.person_id) as level
                from {d['users']} u
                where u.hire_date <= cast($clock as date)
                  and (u.leave_date is null or u.leave_date > cast($clock as date))
            ),
            rules as (
                select team_id, to_json(list(json_object(
                    'id', {pd_id('team_id * 10 + level', 'rule')}, 'escalation_delay_in_minutes', 30,
                    'targets', json_array({user_ref('id', 'name')})) order by level)) as rules
                from on_call where level <= 2 group by team_id
            ),
            served as (
                select team_id, to_json(list({service_ref('id', 'name')} order by service_id)) as services
                from {d['services']} group by team_id
            )
            select ep.id, ep.name, tm.id as team_id,
                json_object('id', ep.id, 'type', 'escalation_policy', 'summary', ep.name,
                    'self', '{API}/escalation_policies/' || ep.id,
                    'html_url', '{WEB}/escalation_policies/' || ep.id, 'name', ep.name,
                    'description', 'Pages the on-call engineer of ' || tm.name || ', then the next one',
                    'num_loops', 1, 'on_call_handoff_notifications', 'if_has_services',
                    'escalation_rules', coalesce(rules.rules, json('[]')),
                    'services', coalesce(served.services, json('[]')),
                    'teams', json_array({team_ref('tm.id', 'tm.name')}))::varchar as doc
            from {d['eps']} ep join {d['teams']} tm using (team_id)
            left join rules using (team_id) left join served using (team_id)""")

    def _priorities(self) -> str:
        d = self._dirs()
        return self.store.snapshot("pd_priorities", f"""
            select id, name, null as team_id,
                json_object('id', id, 'type', 'priority', 'summary', name, 'self', '{API}/priorities/' || id,
                    'html_url', null, 'name', name, 'description', description,
                    'order', (6 - priority) * 32, 'color', color)::varchar as doc
            from {d['priorities']} order by priority""")

    def _incidents(self) -> str:
        d = self._dirs()
        return self.store.snapshot("pd_incidents", f"""
            with log as (select * from incident_log where event_at <= $clock),
            state as (
                select incident_id,
                    min(event_at) filter (where type = 'acknowledge') as ack_at,
                    arg_min(person_id, event_at) filter (where type = 'acknowledge') as ack_by,
                    max(event_at) filter (where type = 'resolve') as resolved_at,
                    arg_max(person_id, event_at) filter (where type = 'resolve') as resolved_by,
                    max(event_at) as last_event_at,
                    arg_max(person_id, seq) filter (where type in ('assign', 'escalate')) as assignee,
                    max(event_at) filter (where type in ('assign', 'escalate')) as assigned_at,
                    min(log_entry_id) filter (where type = 'trigger') as trigger_entry
                from log group by incident_id
            ),
            cur_state as (
                select i.*, state.* exclude (incident_id),
                    case when state.resolved_at is not null then 'resolved'
                         when state.ack_at is not null then 'acknowledged' else 'triggered' end as status
                from incidents i join state using (incident_id)
            )
            select
                {pd_id('c.incident_id', 'incident', 'Q', 7)} as id,
                c.incident_number, c.created_at, c.resolved_at, c.status, c.urgency,
                md5('incident_key:' || cast(c.incident_id as varchar)) as incident_key,
                s.id as service_id, tm.id as team_id, assignee.id as assignee_id,
                json_object(
                    'id', {pd_id('c.incident_id', 'incident', 'Q', 7)}, 'type', 'incident',
                    'summary', {_incident_title('c')},
                    'self', '{API}/incidents/' || {pd_id('c.incident_id', 'incident', 'Q', 7)},
                    'html_url', '{WEB}/incidents/' || {pd_id('c.incident_id', 'incident', 'Q', 7)},
                    'incident_number', c.incident_number, 'title', c.title,
                    'created_at', {ts('c.created_at')}, 'updated_at', {ts('c.last_event_at')},
                    'status', c.status, 'incident_key', md5('incident_key:' || cast(c.incident_id as varchar)),
                    'service', {service_ref('s.id', 's.name')},
                    'assignments', case when c.status = 'resolved' then json('[]') else json_array(json_object(
                        'at', {ts('c.assigned_at')}, 'assignee', {user_ref('assignee.id', 'assignee.name')})) end,
                    'assigned_via', 'escalation_policy',
                    'last_status_change_at', {ts('coalesce(c.resolved_at, c.ack_at, c.created_at)')},
                    'resolved_at', {ts('c.resolved_at')},
                    'first_trigger_log_entry', json_object(
                        'id', {pd_id('c.trigger_entry * 2', 'log_entry', 'R', 7)},
                        'type', 'trigger_log_entry_reference', 'summary', 'Triggered through the API.',
                        'self', '{API}/log_entries/' || {pd_id('c.trigger_entry * 2', 'log_entry', 'R', 7)}
                            || '?incident_id=' || {pd_id('c.incident_id', 'incident', 'Q', 7)},
                        'html_url', '{WEB}/incidents/' || {pd_id('c.incident_id', 'incident', 'Q', 7)}
                            || '/log_entries/' || {pd_id('c.trigger_entry * 2', 'log_entry', 'R', 7)}),
                    'alert_counts', json_object(
                        'all', 1, 'triggered', case when c.status = 'resolved' then 0 else 1 end,
                        'resolved', case when c.status = 'resolved' then 1 else 0 end),
                    'is_mergeable', true, 'incident_type', json_object('name', 'incident_default'),
                    'escalation_policy', {ep_ref('ep.id', 'ep.name')},
                    'teams', json_array({team_ref('tm.id', 'tm.name')}),
                    'pending_actions', json('[]'),
                    'acknowledgements', case when c.status = 'acknowledged' then json_array(json_object(
                        'at', {ts('c.ack_at')}, 'acknowledger', {user_ref('acker.id', 'acker.name')}))
                        else json('[]') end,
                    'alert_grouping', null,
                    'last_status_change_by', case
                        when c.status = 'resolved' then {user_ref('resolver.id', 'resolver.name')}
                        when c.status = 'acknowledged' then {user_ref('acker.id', 'acker.name')}
                        else {service_ref('s.id', 's.name')} end,
                    'priority', {ref('priority', 'pr.id', 'pr.name', 'priorities')},
                    'resolve_reason', null, 'conference_bridge', null,
                    'incidents_responders', json('[]'), 'responder_requests', json('[]'),
                    'urgency', c.urgency)::varchar as doc
            from cur_state c
            join {d['services']} s using (service_id)
            join {d['teams']} tm on tm.team_id = c.team_id
            join {d['eps']} ep on ep.team_id = c.team_id
            left join {d['priorities']} pr on pr.priority = c.priority
            left join {d['users']} assignee on assignee.person_id = c.assignee
            left join {d['users']} acker on acker.person_id = c.ack_by
            left join {d['users']} resolver on resolver.person_id = c.resolved_by""")

    def _log_entries(self) -> str:
        d = self._dirs()
        summaries = {
            "trigger": "'Triggered through the API.'",
            "assign": "'Assigned to ' || u.name || '.'",
            "escalate": "'Escalated to ' || u.name || ' by timeout.'",
            "acknowledge": "'Acknowledged by ' || u.name || '.'",
            "resolve": "'Resolved by ' || u.name || '.'",
            "notify": "'Notified ' || u.name || ' by push notification.'",
        }
        summary = "case e.type " + " ".join(f"when '{k}' then {v}" for k, v in summaries.items()) + " end"
        incident_id = pd_id("e.incident_id", "incident", "Q", 7)
        entry_id = pd_id("e.n", "log_entry", "R", 7)
        return self.store.snapshot("pd_log_entries", f"""
            with e as (
                select log_entry_id * 2 as n, incident_id, event_at as created_at, type, person_id, seq * 2 as ord
                from incident_log where event_at <= $clock
                union all
                -- the page sent to whoever was just assigned (not an overview entry)
                select log_entry_id * 2 + 1, incident_id, event_at + interval 5 second, 'notify', person_id,
                       seq * 2 + 1
                from incident_log
                where type in ('assign', 'escalate') and event_at + interval 5 second <= $clock
            )
            select {entry_id} as id, {incident_id} as incident_id, e.created_at, e.type || '_log_entry' as type,
                e.type <> 'notify' as is_overview, tm.id as team_id, e.incident_id as incident_seq, e.ord,
                json_merge_patch(json_object(
                    'id', {entry_id}, 'type', e.type || '_log_entry', 'summary', {summary},
                    'self', '{API}/log_entries/' || {entry_id} || '?incident_id=' || {incident_id},
                    'html_url', '{WEB}/incidents/' || {incident_id} || '/log_entries/' || {entry_id},
                    'created_at', {ts('e.created_at')},
                    'agent', case when e.type in ('acknowledge', 'resolve') then {user_ref('u.id', 'u.name')}
                                  else {service_ref('s.id', 's.name')} end,
                    'channel', case e.type when 'trigger' then json_object('type', 'api')
                                           when 'notify' then json_object('type', 'push_notification')
                                           when 'acknowledge' then json_object('type', 'website')
                                           when 'resolve' then json_object('type', 'website')
                                           else json_object('type', 'auto') end,
                    'service', {service_ref('s.id', 's.name')},
                    'incident', {ref('incident', incident_id, _incident_title('i'), 'incidents', 'incidents')},
                    'teams', json_array({team_ref('tm.id', 'tm.name')}),
                    'contexts', json('[]')),
                    -- fields only some entry types carry
                    case e.type
                        when 'trigger' then json_object('event_details', json_object('description', i.title))
                        when 'assign' then json_object('assignees', json_array({user_ref('u.id', 'u.name')}))
                        when 'escalate' then json_object('assignees', json_array({user_ref('u.id', 'u.name')}))
                        when 'notify' then json_object('user', {user_ref('u.id', 'u.name')})
                        else json('{{}}') end)::varchar as doc
            from e
            join incidents i using (incident_id)
            join {d['services']} s on s.service_id = i.service_id
            join {d['teams']} tm on tm.team_id = i.team_id
            left join {d['users']} u on u.person_id = e.person_id""")

    def _collection(self, collection: str) -> str:
        return {"services": self._services, "teams": self._teams, "escalation_policies": self._escalation_policies,
                "users": self._users, "priorities": self._priorities, "incidents": self._incidents,
                "log_entries": self._log_entries}[collection]()

    def _objects_by_id(self, collection: str) -> dict[str, dict]:
        """Full objects by id, for ``include[]`` (one parse per snapshot)."""
        table = self._collection(collection)
        with self._objects_lock:
            cached = self._objects.get(table)
            if cached is None:
                rows = self.store.query(f"select id, doc from {table}")
                cached = {i: json.loads(doc) for i, doc in rows}
                self._objects[table] = cached
        return cached

    # -- shared request parsing -----------------------------------------------------------------

    def _paging(self, request: Request) -> tuple[int, int] | Response:
        try:
            limit = int(request.arg("limit") or 25)
            offset = int(request.arg("offset") or 0)
        except ValueError:
            return self._invalid("limit and offset must be integers")
        if limit < 1 or offset < 0:
            return self._invalid("limit must be positive and offset non-negative")
        limit = min(limit, 100)
        if offset + limit > self.max_offset:
            return self._invalid(OFFSET_CAP_ERROR.format(cap=self.max_offset), code=2002,
                                 message="Arguments Caused Error")
        return limit, offset

    def _moment(self, text: str) -> datetime:
        moment = datetime.fromisoformat(text.strip().replace(" ", "+") if "T" in text else text.strip())
        # A bound without an offset is read in the account's time zone, as PagerDuty does.
        return moment if moment.tzinfo else moment.replace(tzinfo=self.account_timezone)

    def _range(self, request: Request, *, default_month: bool, max_months: int | None) -> tuple | Response | None:
        """(since, until) from the request, PagerDuty's defaults applied; None for no bound."""
        if (request.arg("date_range") or "") == "all":
            return None
        raw_since, raw_until = request.arg("since"), request.arg("until")
        try:
            since = self._moment(raw_since) if raw_since else None
            until = self._moment(raw_until) if raw_until else None
        except ValueError:
            return self._invalid("since and until must be ISO 8601 date-times")
        if since is None and until is None:
            if not default_month:
                return None
            until = self.store.clock
            since = add_months(until, -1)
        elif until is None:
            until = add_months(since, 1)
        elif since is None:
            since = add_months(until, -1)
        if until < since:
            return self._invalid("until must be after since")
        if max_months is not None and until > add_months(since, max_months):
            return self._invalid(f"The date range may not exceed {max_months} months.",
                                 code=2001, message="Invalid Input Provided")
        return since.astimezone(UTC), until.astimezone(UTC)

    @staticmethod
    def _include(request: Request) -> set[str]:
        return set(request.args("include"))

    def _render(self, request: Request, text: str, include: set[str], collection: str) -> str:
        """Apply include[] expansions and the time_zone rendering to a JSON document."""
        zone = request.arg("time_zone")
        expansions = self._expansions(collection, include)
        if expansions:
            doc = json.loads(text)
            records = doc.get(collection)
            if records is None:  # a single object
                records = [doc[next(iter(doc))]]
            for record in records:
                for path, source in expansions:
                    _expand(record, path, self._objects_by_id(source))
            text = json.dumps(doc, separators=(",", ":"))
        if zone and zone not in ("UTC", "Etc/UTC"):
            tz = ZoneInfo(zone)
            text = re.sub(
                r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)Z"',
                lambda m: '"' + datetime.fromisoformat(m.group(1) + "+00:00").astimezone(tz).isoformat() + '"',
                text,
            )
        return text

    @staticmethod
    def _expansions(collection: str, include: set[str]) -> list[tuple[str, str]]:
        table = {
            "incidents": {"services": [("service", "services")], "teams": [("teams", "teams")],
                          "priorities": [("priority", "priorities")],
                          "escalation_policies": [("escalation_policy", "escalation_policies")],
                          "assignees": [("assignments.assignee", "users")],
                          "acknowledgers": [("acknowledgements.acknowledger", "users")],
                          "users": [("assignments.assignee", "users"), ("acknowledgements.acknowledger", "users")],
                          "first_trigger_log_entries": [("first_trigger_log_entry", "log_entries")]},
            "log_entries": {"incidents": [("incident", "incidents")], "services": [("service", "services")],
                            "teams": [("teams", "teams")]},
        }.get(collection, {})
        return [pair for name in sorted(include) for pair in table.get(name, [])]

    def _check_time_zone(self, request: Request) -> Response | None:
        zone = request.arg("time_zone")
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                return self._invalid(f"time_zone {zone!r} is not a valid time zone")
        return None

    def _page(self, request: Request, collection: str, table: str, where: str, params: dict, order: str,
              paging: tuple[int, int]) -> Response:
        limit, offset = paging
        cur = self.store.cursor()
        (count,) = cur.execute(f"select count(*) from {table} where {where}", params).fetchone()
        docs = cur.execute(
            f"select coalesce(string_agg(doc, ',' order by pos), '') from ("
            f"select doc, row_number() over (order by {order}) as pos from {table} where {where} "
            f"order by {order} limit {limit} offset {offset})",
            params,
        ).fetchone()[0]
        total = str(count) if (request.arg("total") or "").lower() == "true" else "null"
        more = "true" if offset + limit < count else "false"
        body = (f'{{"{collection}":[{docs}],"limit":{limit},"offset":{offset},"total":{total},'
                f'"more":{more}}}')
        return Response(200, self._render(request, body, self._include(request), collection))

    # -- endpoints --------------------------------------------------------------------------------

    def list_incidents(self, request: Request) -> Response:
        paging = self._paging(request)
        if isinstance(paging, Response):
            return paging
        bad_zone = self._check_time_zone(request)
        if bad_zone is not None:
            return bad_zone
        window = self._range(request, default_month=True, max_months=6)
        if isinstance(window, Response):
            return window
        where, params = ["true"], {}
        if window is not None:
            where.append("created_at >= $since and created_at < $until")
            params.update(since=window[0], until=window[1])
        filters = {"statuses": "status", "service_ids": "service_id", "team_ids": "team_id",
                   "urgencies": "urgency", "user_ids": "assignee_id"}
        for arg, column in filters.items():
            values = request.args(arg)
            if values:
                if arg == "statuses" and not set(values) <= {"triggered", "acknowledged", "resolved"}:
                    return self._invalid("Status must be a list of triggered, acknowledged, or resolved.")
                names = [f"${arg}_{i}" for i in range(len(values))]
                where.append(f"{column} in ({', '.join(names)})")
                params.update({n[1:]: v for n, v in zip(names, values, strict=True)})
        if request.arg("incident_key"):
            where.append("incident_key = $incident_key")
            params["incident_key"] = request.arg("incident_key")
        order = _sort_sql(request.arg("sort_by"))
        if order is None:
            return self._invalid("sort_by must be up to two of incident_number, created_at, resolved_at, urgency "
                                 "with :asc or :desc")
        return self._page(request, "incidents", self._incidents(), " and ".join(where), params, order, paging)

    def get_incident(self, request: Request, incident_id: str) -> Response:
        row = self.store.cursor().execute(f"select doc from {self._incidents()} where id = $id",
                                          {"id": incident_id}).fetchone()
        if row is None:
            return Response(404, self.error_body(404))
        bad_zone = self._check_time_zone(request)
        if bad_zone is not None:
            return bad_zone
        return Response(200, self._render(request, '{"incident":' + row[0] + "}", self._include(request),
                                          "incidents"))

    def _log_page(self, request: Request, where: list[str], params: dict, *, default_month: bool) -> Response:
        paging = self._paging(request)
        if isinstance(paging, Response):
            return paging
        bad_zone = self._check_time_zone(request)
        if bad_zone is not None:
            return bad_zone
        window = self._range(request, default_month=default_month, max_months=None)
        if isinstance(window, Response):
            return window
        if window is not None:
            where.append("created_at >= $since and created_at < $until")
            params.update(since=window[0], until=window[1])
        if (request.arg("is_overview") or "").lower() == "true":
            where.append("is_overview")
        team_ids = request.args("team_ids")
        if team_ids:
            names = [f"$team_{i}" for i in range(len(team_ids))]
            where.append(f"team_id in ({', '.join(names)})")
            params.update({n[1:]: v for n, v in zip(names, team_ids, strict=True)})
        # Newest first, as PagerDuty lists log entries.
        order = "created_at desc, incident_seq desc, ord desc"
        return self._page(request, "log_entries", self._log_entries(), " and ".join(where), params, order, paging)

    def list_log_entries(self, request: Request) -> Response:
        return self._log_page(request, ["true"], {}, default_month=True)

    def list_incident_log_entries(self, request: Request, incident_id: str) -> Response:
        (exists,) = self.store.cursor().execute(f"select count(*) from {self._incidents()} where id = $id",
                                                {"id": incident_id}).fetchone()
        if not exists:
            return Response(404, self.error_body(404))
        return self._log_page(request, ["incident_id = $incident"], {"incident": incident_id}, default_month=False)

    def list_collection(self, request: Request, collection: str) -> Response:
        paging = self._paging(request)
        if isinstance(paging, Response):
            return paging
        where, params = ["true"], {}
        query = request.arg("query")
        if query:
            where.append("contains(lower(name), lower($query))")
            params["query"] = query
        team_ids = request.args("team_ids")
        if team_ids and collection in ("services", "users", "escalation_policies"):
            names = [f"$team_{i}" for i in range(len(team_ids))]
            where.append(f"team_id in ({', '.join(names)})")
            params.update({n[1:]: v for n, v in zip(names, team_ids, strict=True)})
        # Priorities come in their configured order (P1 first); everything else by name.
        order = "cast(doc->>'order' as integer) desc" if collection == "priorities" else "name, id"
        return self._page(request, collection, self._collection(collection), " and ".join(where), params, order,
                          paging)

    def get_object(self, request: Request, collection: str, object_id: str) -> Response:
        row = self.store.cursor().execute(f"select doc from {self._collection(collection)} where id = $id",
                                          {"id": object_id}).fetchone()
        if row is None:
            return Response(404, self.error_body(404))
        singular = {"services": "service", "teams": "team", "escalation_policies": "escalation_policy",
                    "users": "user"}[collection]
        return Response(200, f'{{"{singular}":{row[0]}}}')


# -- helpers ------------------------------------------------------------------------------------------

_SORT_FIELDS = {"incident_number", "created_at", "resolved_at", "urgency"}


def _sort_sql(sort_by: str | None) -> str | None:
    """ORDER BY for PagerDuty's sort_by (None when invalid); incident_number breaks ties."""
    if not sort_by:
        return "incident_number asc"
    parts = []
    for item in sort_by.split(","):
        field, _, direction = item.strip().partition(":")
        direction = direction or "asc"
        if field not in _SORT_FIELDS or direction not in ("asc", "desc"):
            return None
        parts.append(f"{field} {direction} nulls last")
    if len(parts) > 2:
        return None
    return ", ".join([*parts, "incident_number asc"])


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, the day clamped to the target month's length."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    days = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30,
            31, 30, 31][month - 1]
    return moment.replace(year=year, month=month, day=min(moment.day, days))


def _expand(record: dict, path: str, objects: dict[str, dict]) -> None:
    """Replace the reference(s) at ``path`` (``a.b`` walks into lists) with full objects."""
    head, _, rest = path.partition(".")
    value = record.get(head)
    if value is None:
        return
    if rest:
        for item in value if isinstance(value, list) else [value]:
            _expand(item, rest, objects)
        return
    if isinstance(value, list):
        record[head] = [objects.get(v.get("id"), v) for v in value]
    elif isinstance(value, dict):
        record[head] = objects.get(value.get("id"), value)



"""Fake Harvest API v2: time entries, users (+ their cost and billable rates), projects,
clients, tasks, user assignments and task assignments.

Wire format per source-apis.md section 5: list envelopes with ``per_page``,
``total_pages``, ``total_entries``, ``next_page``, ``previous_page``, ``page`` and
``links{first,next,previous,last}``; cursor-based ``links.next`` URLs
(``cursor=...&ref=next_cursor``) with ``page``/``next_page`` null on all but the
first and last pages; ``updated_since`` (ISO-8601), ``from``/``to`` on
``spent_date``; ``per_page`` 1..2000 (422 above); required ``Authorization:
Bearer``, ``Harvest-Account-Id`` and ``User-Agent`` headers; 100 requests per 15
seconds, then 429 with ``Retry-After``; ``weekly_capacity`` in seconds.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import deque
from urllib.parse import urlencode

from connectors.fakes.base import FakeAPI, OrgStore, Request, Response, bearer_token

ID_OFFSET = {"users": 1_000_000, "projects": 2_000_000, "clients": 3_000_000, "tasks": 4_000_000,
             "time_entries": 600_000_000, "user_assignments": 700_000_000, "task_assignments": 800_000_000,
             "cost_rates": 900_000_000, "billable_rates": 910_000_000}

TZ_NAMES = {
    "Europe/London": "London", "America/New_York": "Eastern Time (US & Canada)", "Europe/Berlin": "Berlin",
    "Asia/Kolkata": "New Delhi", "America/Los_Angeles": "Pacific Time (US & Canada)", "Australia/Sydney": "Sydney",
}


def iso(column: str) -> str:
    return f"strftime({column}, '%Y-%m-%dT%H:%M:%SZ')"


USERS_SQL = f"""
with changes as (
    -- the latest contract started by the clock; a leaver's last day counts as a change too
    select p.*, c.minutes_per_day, c.works_friday, c.billable_rate, c.cost_per_hour,
           greatest(p.hire_date, c.start_date,
                    case when p.leave_date <= cast($clock as date) then p.leave_date end) as changed_on
    from people p join contracts c on c.person_id = p.person_id and c.start_date <= cast($clock as date)
    where p.hire_date <= cast($clock as date)
    qualify row_number() over (partition by p.person_id order by c.start_date desc) = 1
)
select
    {ID_OFFSET['users']} + changes.person_id as id,
    changes.first_name, changes.last_name, changes.email,
    teams.timezone as iana_timezone,
    changes.employment_type = 'contractor' as is_contractor,
    changes.leave_date is null or changes.leave_date > cast($clock as date) as is_active,
    changes.minutes_per_day * 60 * (4 + cast(changes.works_friday as int)) as weekly_capacity,
    changes.billable_rate as default_hourly_rate,
    changes.cost_per_hour as cost_rate,
    changes.role,
    {iso("cast(changes.hire_date as timestamptz) + interval 9 hour")} as created_at,
    {iso("cast(changes.changed_on as timestamptz) + interval 9 hour")} as updated_at
from changes join teams using (team_id)
where teams.time_tracking = 'harvest'
"""

PROJECTS_SQL = f"""
select
    {ID_OFFSET['projects']} + p.project_id as id,
    p.project_name as name,
    'P' || lpad(cast(p.project_id as varchar), 5, '0') as code,
    {ID_OFFSET['clients']} + p.client_id as client_id,
    cl.client_name,
    coalesce(p.end_date, date '2999-12-31') >= cast($clock as date) as is_active,
    p.pricing_model <> 'nb' as is_billable,
    p.pricing_model = 'fp' as is_fixed_fee,
    case when p.pricing_model = 'nb' then 'none' else 'People' end as bill_by,
    p.budget_hours as budget,
    case when p.budget_hours is null then 'none' else 'project' end as budget_by,
    false as budget_is_monthly,
    p.budget_amount as cost_budget,
    case when p.pricing_model = 'fp' then p.budget_amount end as fee,
    p.start_date as starts_on, p.end_date as ends_on,
    p.project_kind,
    {iso("cast(p.start_date as timestamptz) - interval 14 day")} as created_at,
    {iso("cast(least(coalesce(p.end_date, p.start_date), cast($clock as date)) as timestamptz)")} as updated_at
from projects p join clients cl using (client_id)
where p.start_date - interval 14 day <= $clock
"""

TIME_ENTRIES_SQL = f"""
with version as (
    select time_entry_id, min(version_at) over (partition by time_entry_id) as created_at, version_at, hours,
           is_deleted
    from time_entry_versions where version_at <= $clock
    qualify row_number() over (partition by time_entry_id order by version_at desc, is_deleted desc) = 1
)
select
    {ID_OFFSET['time_entries']} + e.time_entry_id as id,
    e.spent_date,
    {ID_OFFSET['users']} + e.person_id as user_id, p.first_name || ' ' || p.last_name as user_name,
    {ID_OFFSET['clients']} + pr.client_id as client_id, cl.client_name,
    {ID_OFFSET['projects']} + e.project_id as project_id, pr.project_name,
    e.task as task_name,
    version.hours, e.notes, e.is_billable as billable, e.cost_rate,
    case when e.is_billable then e.billable_rate end as billable_rate,
    {iso('version.created_at')} as created_at,
    {iso('version.version_at')} as updated_at
from version
join time_entries e using (time_entry_id)
join people p on p.person_id = e.person_id
join projects pr on pr.project_id = e.project_id
join clients cl on cl.client_id = pr.client_id
where not version.is_deleted and e.tracked_in = 'harvest'
"""


def _values(rows: list[tuple], columns: str) -> str:
    """A constant table as SQL (for the task catalogue, which lives in Python)."""
    body = ", ".join("(" + ", ".join(repr(v) for v in row) + ")" for row in rows)
    return f"(values {body}) as t({columns})"


def _task_catalogue() -> str:
    from connectors.synthetic.work import TASK_NAMES, TASKS

    rows = [(kind, name, TASK_NAMES.index(name) + 1) for kind, names in TASKS.items() for name in names]
    return _values(rows, "project_kind, task_name, task_index")


#: when the synthetic company set Harvest up: a year before its history starts
HARVEST_SETUP = "(cast((select start_date from meta) as timestamptz) - interval 400 day + interval 9 hour)"

CLIENTS_SQL = f"""
select {ID_OFFSET['clients']} + client_id as id, client_name as name, true as is_active, 'USD' as currency,
       {iso(HARVEST_SETUP)} as created_at, {iso(HARVEST_SETUP)} as updated_at
from clients
where {HARVEST_SETUP} <= $clock
"""


def tasks_sql() -> str:
    from connectors.synthetic.work import TASK_NAMES, TASKS

    billable = set(TASKS["strategic"])
    rows = [(i + 1, name, name in billable) for i, name in enumerate(TASK_NAMES)]
    return f"""
select {ID_OFFSET['tasks']} + task_index as id, task_name as name, billable_by_default,
       true as is_active, true as is_default, {iso(HARVEST_SETUP)} as created_at, {iso(HARVEST_SETUP)} as updated_at
from {_values(rows, "task_index, task_name, billable_by_default")}
where {HARVEST_SETUP} <= $clock
"""


# A Harvest user is assigned to their team's support and KTLO projects when hired, and to a
# strategic project two weeks before their planned work on it starts; the assignment goes
# inactive when they leave or a month after the project ends.
USER_ASSIGNMENTS_SQL = f"""
with harvest_people as (
    select p.* from people p join teams t using (team_id) where t.time_tracking = 'harvest'
),
pairs as (
    select hp.person_id, pr.project_id, cast(hp.hire_date as timestamptz) + interval 9 hour as created_at
    from harvest_people hp join projects pr on pr.team_id = hp.team_id and pr.project_kind in ('support', 'ktlo')
    union all
    select a.person_id, a.project_id, min(cast(a.start_date as timestamptz) - interval 14 day + interval 9 hour)
    from assignments a join harvest_people hp on hp.person_id = a.person_id
    where not a.is_placeholder
    group by 1, 2
),
firsts as (
    select person_id, project_id, min(created_at) as created_at from pairs group by 1, 2
),
dated as (
    select f.*, hp.first_name || ' ' || hp.last_name as user_name, hp.role, pr.project_name,
           'P' || lpad(cast(pr.project_id as varchar), 5, '0') as project_code,
           least(cast(hp.leave_date as timestamptz),
                 cast(pr.end_date as timestamptz) + interval 30 day) + interval 18 hour as ends_at
    from firsts f join harvest_people hp using (person_id) join projects pr using (project_id)
)
select
    {ID_OFFSET['user_assignments']} + person_id * 10000 + project_id as id,
    {ID_OFFSET['users']} + person_id as user_id, user_name,
    {ID_OFFSET['projects']} + project_id as project_id, project_name, project_code,
    role = 'Project Manager' as is_project_manager,
    ends_at is null or ends_at > $clock as is_active,
    {iso('created_at')} as created_at,
    {iso("case when ends_at <= $clock then ends_at else created_at end")} as updated_at
from dated
where created_at <= $clock
"""


def task_assignments_sql() -> str:
    return f"""
select
    {ID_OFFSET['task_assignments']} + p.project_id * 100 + t.task_index as id,
    {ID_OFFSET['projects']} + p.project_id as project_id, p.project_name,
    'P' || lpad(cast(p.project_id as varchar), 5, '0') as project_code,
    {ID_OFFSET['tasks']} + t.task_index as task_id, t.task_name,
    p.pricing_model <> 'nb' as billable,
    coalesce(p.end_date, date '2999-12-31') >= cast($clock as date) as is_active,
    {iso("cast(p.start_date as timestamptz) - interval 14 day")} as created_at,
    {iso("cast(least(coalesce(p.end_date, p.start_date), cast($clock as date)) as timestamptz)")} as updated_at
from projects p join {_task_catalogue()} using (project_kind)
where p.start_date - interval 14 day <= $clock
"""


def rates_sql(kind: str) -> str:
    """One rate period per contract: Harvest closes a rate (sets end_date) when the next starts."""
    amount = "cost_per_hour" if kind == "cost_rates" else "billable_rate"
    return f"""
with harvest_contracts as (
    -- a new hire's first rate is set up with the user; later rates two weeks before they apply
    select c.*,
           case when c.start_date <= p.hire_date then cast(p.hire_date as timestamptz) + interval 9 hour
                else cast(c.start_date as timestamptz) - interval 14 day + interval 9 hour end as created_at,
           lead(c.start_date) over (partition by c.person_id order by c.start_date) as next_start
    from contracts c join people p using (person_id) join teams t using (team_id)
    where t.time_tracking = 'harvest'
)
select
    {ID_OFFSET[kind]} + contract_id as id,
    {ID_OFFSET['users']} + person_id as user_id,
    {amount} as amount, start_date,
    case when next_start is not null and cast(next_start as timestamptz) - interval 14 day + interval 9 hour <= $clock
         then next_start - 1 end as end_date,
    {iso('created_at')} as created_at,
    {iso("case when next_start is not null and cast(next_start as timestamptz) - interval 14 day "
         "+ interval 9 hour <= $clock then cast(next_start as timestamptz) - interval 14 day + interval 9 hour "
         "else created_at end")} as updated_at
from harvest_contracts
where created_at <= $clock
"""


def _task_id(name: str) -> int:
    from connectors.synthetic.work import TASK_NAMES

    return ID_OFFSET["tasks"] + TASK_NAMES.index(name) + 1


class FakeHarvest(FakeAPI):
    name = "harvest"

    def __init__(self, store: OrgStore, *, account_id: str = "123456", token: str = "secret-harvest-token",
                 rate_limit: tuple[int, float] | None = (100, 15.0), **kwargs) -> None:
        self.account_id, self.token = account_id, token
        self.rate_limit = rate_limit
        self._calls: deque[float] = deque()
        self._rate_lock = threading.Lock()
        super().__init__(store, **kwargs)

    def routes(self):
        return [
            ("GET", r"/v2/time_entries", self.time_entries),
            ("GET", r"/v2/users", self.users),
            ("GET", r"/v2/users/(?P<user_id>\d+)/(?P<kind>cost_rates|billable_rates)", self.user_rates),
            ("GET", r"/v2/projects", self.projects),
            ("GET", r"/v2/clients", self.clients),
            ("GET", r"/v2/tasks", self.tasks),
            ("GET", r"/v2/user_assignments", self.user_assignments),
            ("GET", r"/v2/task_assignments", self.task_assignments),
        ]

    def error_body(self, status: int) -> dict:
        return {"status": status, "error": {404: "Not Found", 429: "Too Many Requests"}.get(status, "Server Error")}

    def authorize(self, request: Request) -> Response | None:
        if not request.headers.get("user-agent"):
            return Response(400, {"error": "invalid_request", "error_description": "A User-Agent header is required"})
        if bearer_token(request) != self.token or request.headers.get("harvest-account-id") != self.account_id:
            return Response(401, {"error": "invalid_token", "error_description": "The access token provided is "
                                  "expired, revoked, malformed or invalid for other reasons."})
        if self.rate_limit is not None:
            limit, per = self.rate_limit
            with self._rate_lock:
                now = time.monotonic()
                while self._calls and now - self._calls[0] >= per:
                    self._calls.popleft()
                if len(self._calls) >= limit:
                    wait = max(int(per - (now - self._calls[0])) + 1, 1)
                    return Response(429, {"error": "Too Many Requests"}, {"Retry-After": str(wait)})
                self._calls.append(now)
        return None

    # -- endpoints ------------------------------------------------------------------------------

    def users(self, request: Request) -> Response:
        snap = self.store.snapshot("hv_users", USERS_SQL)
        return self._list(request, "users", snap, self._user_json)

    def projects(self, request: Request) -> Response:
        snap = self.store.snapshot("hv_projects", PROJECTS_SQL)
        return self._list(request, "projects", snap, self._project_json)

    def time_entries(self, request: Request) -> Response:
        # Stored in id order, the paging order: a page's `id > cursor` bound skips what came before.
        snap = self.store.snapshot("hv_time_entries", TIME_ENTRIES_SQL, "id")
        return self._list(request, "time_entries", snap, self._entry_json)

    def clients(self, request: Request) -> Response:
        snap = self.store.snapshot("hv_clients", CLIENTS_SQL)
        return self._list(request, "clients", snap, self._client_json)

    def tasks(self, request: Request) -> Response:
        snap = self.store.snapshot("hv_tasks", tasks_sql())
        return self._list(request, "tasks", snap, self._task_json)

    def user_assignments(self, request: Request) -> Response:
        snap = self.store.snapshot("hv_user_assignments", USER_ASSIGNMENTS_SQL)
        return self._list(request, "user_assignments", snap, self._user_assignment_json)

    def task_assignments(self, request: Request) -> Response:
        snap = self.store.snapshot("hv_task_assignments", task_assignments_sql())
        return self._list(request, "task_assignments", snap, self._task_assignment_json)

    def user_rates(self, request: Request, user_id: str, kind: str) -> Response:
        users = self.store.snapshot("hv_users", USERS_SQL)
        if not self.store.cursor().execute(f"select count(*) from {users} where id = ?", [int(user_id)]).fetchone()[0]:
            return Response(404, self.error_body(404))
        snap = self.store.snapshot(f"hv_{kind}", rates_sql(kind))
        return self._list(request, kind, snap, self._rate_json, scope=("user_id = ?", int(user_id)))

    def _list(self, request: Request, key: str, snapshot: str, render, scope: tuple[str, object] | None = None
              ) -> Response:
        requested = int(request.arg("per_page") or 2000)
        if not 1 <= requested <= 2000:
            return Response(422, {"message": "per_page must be between 1 and 2000"})
        per_page = requested * self.page_scale
        where, params = ["true"], []
        if scope is not None:
            where.append(scope[0])
            params.append(scope[1])
        if request.arg("updated_since"):
            where.append("updated_at >= ?")
            params.append(request.arg("updated_since").replace("+00:00", "Z"))
        if key == "time_entries":
            if request.arg("from"):
                where.append("spent_date >= cast(? as date)")
                params.append(request.arg("from"))
            if request.arg("to"):
                where.append("spent_date <= cast(? as date)")
                params.append(request.arg("to"))
            if request.arg("user_id"):
                where.append("user_id = cast(? as bigint)")
                params.append(request.arg("user_id"))
        if key in ("user_assignments", "task_assignments") and request.arg("project_id"):
            where.append("project_id = cast(? as bigint)")
            params.append(request.arg("project_id"))
        if key == "user_assignments" and request.arg("user_id"):
            where.append("user_id = cast(? as bigint)")
            params.append(request.arg("user_id"))
        if key in ("users", "projects", "clients", "tasks", "user_assignments", "task_assignments") \
                and request.arg("is_active"):
            where.append("is_active = cast(? as boolean)")
            params.append(request.arg("is_active"))
        cursor = request.arg("cursor")
        after = json.loads(base64.urlsafe_b64decode(cursor + "==").decode())["after"]["id"] if cursor else None
        page = None if cursor else int(request.arg("page") or 1)
        cur = self.store.cursor()
        sql_where = " and ".join(where)
        (total,) = cur.execute(f"select count(*) from {snapshot} where {sql_where}", params).fetchone()
        total_pages = max((total + per_page - 1) // per_page, 1)
        if after is not None:
            rows_sql = f"select * from {snapshot} where {sql_where} and id > ? order by id limit {per_page + 1}"
            rows = cur.execute(rows_sql, [*params, after])
        else:
            rows = cur.execute(f"select * from {snapshot} where {sql_where} order by id limit {per_page + 1} "
                               f"offset {(page - 1) * per_page}", params)
        columns = [d[0] for d in rows.description]
        records = [dict(zip(columns, r, strict=True)) for r in rows.fetchall()]
        more = len(records) > per_page
        records = records[:per_page]
        base = "http://" + request.headers.get("host", "127.0.0.1") + request.path
        query = {k: v[0] for k, v in request.query.items() if k not in ("cursor", "page", "ref")}
        query["per_page"] = str(requested)
        next_link = None
        if more:
            token = base64.urlsafe_b64encode(json.dumps({"after": {"id": records[-1]["id"]}}).encode()).decode()
            next_link = f"{base}?{urlencode({**query, 'cursor': token.rstrip('='), 'ref': 'next_cursor'})}"
        # Cursor pages report page/next_page only on the first and the last page.
        is_first = after is None and page == 1
        is_last = not more
        body = {
            key: [render(r, request) for r in records],
            "per_page": per_page,
            "total_pages": total_pages,
            "total_entries": total,
            "next_page": 2 if is_first and more else None,
            "previous_page": None,
            "page": 1 if is_first else (total_pages if is_last else None),
            "links": {
                "first": f"{base}?{urlencode({**query, 'page': 1})}",
                "next": next_link,
                "previous": None,
                "last": f"{base}?{urlencode({**query, 'page': total_pages})}",
            },
        }
        return Response(200, body)

    # -- records ----------------------------------------------------------------------------------

    @staticmethod
    def _user_json(r: dict, request: Request) -> dict:
        from connectors.fakes.harvest import TZ_NAMES

        return {
            "id": r["id"], "first_name": r["first_name"], "last_name": r["last_name"], "email": r["email"],
            "telephone": "", "timezone": TZ_NAMES.get(r["iana_timezone"], r["iana_timezone"]),
            "has_access_to_all_future_projects": False, "is_contractor": bool(r["is_contractor"]),
            "is_active": bool(r["is_active"]), "weekly_capacity": int(r["weekly_capacity"]),
            "default_hourly_rate": float(r["default_hourly_rate"]), "cost_rate": float(r["cost_rate"]),
            "roles": [r["role"]], "access_roles": ["member"], "permissions_claims": ["expenses:read:own"],
            "avatar_url": "https://d3s3969qhosaug.cloudfront.net/v2/000-user.png",
            "created_at": r["created_at"], "updated_at": r["updated_at"],
        }

    @staticmethod
    def _project_json(r: dict, request: Request) -> dict:
        return {
            "id": r["id"], "name": r["name"], "code": r["code"], "is_active": bool(r["is_active"]),
            "is_billable": bool(r["is_billable"]), "is_fixed_fee": bool(r["is_fixed_fee"]), "bill_by": r["bill_by"],
            "budget": None if r["budget"] is None else float(r["budget"]), "budget_by": r["budget_by"],
            "budget_is_monthly": False, "notify_when_over_budget": True, "over_budget_notification_percentage": 80.0,
            "show_budget_to_all": False, "cost_budget": None if r["cost_budget"] is None else float(r["cost_budget"]),
            "cost_budget_include_expenses": False, "hourly_rate": None,
            "fee": None if r["fee"] is None else float(r["fee"]), "notes": r["project_kind"],
            "starts_on": r["starts_on"].isoformat(), "ends_on": r["ends_on"].isoformat() if r["ends_on"] else None,
            "created_at": r["created_at"], "updated_at": r["updated_at"],
            "client": {"id": r["client_id"], "name": r["client_name"], "currency": "USD"},
        }

    @staticmethod
    def _client_json(r: dict, request: Request) -> dict:
        return {"id": r["id"], "name": r["name"], "is_active": bool(r["is_active"]), "address": None,
                "statement_key": f"{r['id']:x}", "currency": r["currency"],
                "created_at": r["created_at"], "updated_at": r["updated_at"]}

    @staticmethod
    def _task_json(r: dict, request: Request) -> dict:
        return {"id": r["id"], "name": r["name"], "billable_by_default": bool(r["billable_by_default"]),
                "default_hourly_rate": None, "is_default": bool(r["is_default"]), "is_active": bool(r["is_active"]),
                "created_at": r["created_at"], "updated_at": r["updated_at"]}

    @staticmethod
    def _user_assignment_json(r: dict, request: Request) -> dict:
        return {
            "id": r["id"], "is_project_manager": bool(r["is_project_manager"]), "is_active": bool(r["is_active"]),
            "use_default_rates": True, "budget": None, "hourly_rate": None,
            "created_at": r["created_at"], "updated_at": r["updated_at"],
            "project": {"id": r["project_id"], "name": r["project_name"], "code": r["project_code"]},
            "user": {"id": r["user_id"], "name": r["user_name"]},
        }

    @staticmethod
    def _task_assignment_json(r: dict, request: Request) -> dict:
        return {
            "id": r["id"], "billable": bool(r["billable"]), "is_active": bool(r["is_active"]),
            "hourly_rate": None, "budget": None, "created_at": r["created_at"], "updated_at": r["updated_at"],
            "project": {"id": r["project_id"], "name": r["project_name"], "code": r["project_code"]},
            "task": {"id": r["task_id"], "name": r["task_name"]},
        }

    @staticmethod
    def _rate_json(r: dict, request: Request) -> dict:
        return {"id": r["id"], "amount": float(r["amount"]), "start_date": r["start_date"].isoformat(),
                "end_date": r["end_date"].isoformat() if r["end_date"] else None,
                "created_at": r["created_at"], "updated_at": r["updated_at"]}

    @staticmethod
    def _entry_json(r: dict, request: Request) -> dict:
        task_id = _task_id(r["task_name"])
        project = r["project_id"] - ID_OFFSET["projects"]
        user_assignment_id = ID_OFFSET["user_assignments"] + (r["user_id"] - ID_OFFSET["users"]) * 10000 + project
        task_assignment_id = ID_OFFSET["task_assignments"] + project * 100 + task_id - ID_OFFSET["tasks"]
        return {
            "id": r["id"], "spent_date": r["spent_date"].isoformat(),
            "user": {"id": r["user_id"], "name": r["user_name"]},
            "client": {"id": r["client_id"], "name": r["client_name"]},
            "project": {"id": r["project_id"], "name": r["project_name"]},
            "task": {"id": task_id, "name": r["task_name"]},
            "user_assignment": {"id": user_assignment_id, "is_project_manager": False, "is_active": True,
                                "budget": None, "created_at": r["created_at"], "updated_at": r["created_at"],
                                "hourly_rate": r["billable_rate"]},
            "task_assignment": {"id": task_assignment_id, "billable": bool(r["billable"]), "is_active": True,
                                "created_at": r["created_at"], "updated_at": r["created_at"],
                                "hourly_rate": r["billable_rate"], "budget": None},
            "hours": float(r["hours"]), "hours_without_timer": float(r["hours"]),
            "rounded_hours": float(r["hours"]), "notes": r["notes"],
            "created_at": r["created_at"], "updated_at": r["updated_at"],
            "is_locked": False, "locked_reason": None, "is_closed": False, "is_billed": False,
            "timer_started_at": None, "started_time": None, "ended_time": None, "is_running": False,
            "invoice": None, "external_reference": None, "billable": bool(r["billable"]), "budgeted": False,
            "billable_rate": r["billable_rate"], "cost_rate": float(r["cost_rate"]),
        }

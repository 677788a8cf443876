"""Harvest API v2 connector: time entries, users (capacity, rates), their cost and billable
rate history, projects (budgets), clients, tasks, and user and task assignments.

Harvest lists follow ``links.next`` (cursor URLs; ``page``/``next_page`` are null
mid-stream, so page numbers are never computed). Incremental reads use
``updated_since``; the cursor is the newest ``updated_at`` seen and only moves
once the whole read is committed, because Harvest does not promise an order we
could checkpoint on. Backfills window time entries on ``spent_date``
(``from``/``to``). Harvest reports no deletions: a ``full`` read of a window
flags entries it no longer returns as deleted.

Cost and billable rates live under each user (``/v2/users/{id}/cost_rates``) and
have no ``updated_since``: an incremental read fetches the rates of the users
changed since the cursor (Harvest updates a user when its current rate changes),
a ``full`` read fetches every user's. The rate records do not name their user, so
the user id is kept in the raw table's ``user_id`` column.

Environment: ``HARVEST_ACCOUNT_ID``, ``HARVEST_ACCESS_TOKEN``, optional
``HARVEST_BASE_URL`` (default https://api.harvestapp.com), ``HARVEST_PAGE_SIZE``
(default 2000), ``HARVEST_MAX_REQUESTS_PER_15S`` (default 90: Harvest allows 100).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from connectors.core.base import Connector, ReadRequest
from connectors.core.config import env, env_secret, require
from connectors.core.http import MalformedBody, RequestBudget, SourceHTTP
from connectors.core.landing import Landing, StreamSpec

SOURCE = "harvest"


def _stream(
    name: str, description: str, columns: dict[str, tuple[str, str]] | None = None, *, is_reference: bool = False
) -> StreamSpec:
    return StreamSpec(
        source=SOURCE,
        name=name,
        records_path=f"$.{name}",
        primary_key="rec->>'id'",
        updated_raw="rec->>'updated_at'",
        updated_at="try_cast(rec->>'updated_at' as timestamptz)",
        columns=columns or {},
        description=description,
        is_reference=is_reference,
    )


#: session variable holding the user whose rates are being staged (rate records do not name it)
RATE_USER_VARIABLE = "harvest_rate_user_id"
#: per-user child streams: stream name -> path template
USER_CHILD_STREAMS = {"cost_rates": "/v2/users/{id}/cost_rates", "billable_rates": "/v2/users/{id}/billable_rates"}

STREAMS = [
    _stream("users", "One row per Harvest user (weekly_capacity in seconds, cost and billable rates).",
            is_reference=True),
    _stream("clients", "One row per Harvest client (for IT, the business unit a project is for).",
            is_reference=True),
    _stream("tasks", "One row per Harvest task (the task catalogue time is logged against).", is_reference=True),
    _stream("projects", "One row per Harvest project (budget, budget_by, fixed fee).", is_reference=True),
    _stream("user_assignments", "One row per (user, project) assignment: who may log time where.",
            {"user_id": ("rec->'user'->>'id'", "varchar"), "project_id": ("rec->'project'->>'id'", "varchar")},
            is_reference=True),
    _stream("task_assignments", "One row per (project, task) assignment, with its billable flag.",
            {"project_id": ("rec->'project'->>'id'", "varchar"), "task_id": ("rec->'task'->>'id'", "varchar")},
            is_reference=True),
    _stream("cost_rates", "One row per cost-rate period of a user, from /v2/users/{id}/cost_rates.",
            {"user_id": (f"getvariable('{RATE_USER_VARIABLE}')", "varchar")}, is_reference=True),
    _stream("billable_rates", "One row per billable-rate period of a user, from /v2/users/{id}/billable_rates.",
            {"user_id": (f"getvariable('{RATE_USER_VARIABLE}')", "varchar")}, is_reference=True),
    _stream(
        "time_entries",
        "One row per Harvest time entry (latest version), from /v2/time_entries.",
        {"spent_date": ("try_cast(rec->>'spent_date' as date)", "date")},
    ),
]


class HarvestConnector(Connector):
    source = SOURCE
    STREAMS = STREAMS
    required_env = ("HARVEST_ACCOUNT_ID", "HARVEST_ACCESS_TOKEN")

    def __init__(self, http: SourceHTTP, *, page_size: int = 2000, **kwargs) -> None:
        super().__init__(http, **kwargs)
        self.page_size = page_size

    @classmethod
    def from_env(cls) -> HarvestConnector:
        account = require("HARVEST_ACCOUNT_ID", SOURCE)
        require("HARVEST_ACCESS_TOKEN", SOURCE)
        token = env_secret("HARVEST_ACCESS_TOKEN")
        http = SourceHTTP(
            SOURCE,
            env("HARVEST_BASE_URL", "https://api.harvestapp.com"),
            headers={"Authorization": f"Bearer {token}", "Harvest-Account-Id": account},
            budget=RequestBudget(int(env("HARVEST_MAX_REQUESTS_PER_15S", "90")), 15.0),
            credentials_hint="check HARVEST_ACCESS_TOKEN and HARVEST_ACCOUNT_ID (Harvest > Developers > "
            "Personal Access Tokens)",
        )
        return cls(http, page_size=int(env("HARVEST_PAGE_SIZE", "2000")))

    def read(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        if spec.name in USER_CHILD_STREAMS:
            self._read_user_rates(spec, request, landing)
            return
        params: dict[str, str] = {"per_page": str(self.page_size)}
        if spec.name == "time_entries" and request.mode in ("backfill", "full"):
            # Windows on the event date; Harvest's `to` is inclusive.
            params["from"] = request.start.date().isoformat()
            params["to"] = (request.end - timedelta(days=1)).date().isoformat()
        elif request.mode == "incremental" and request.cursor:
            params["updated_since"] = request.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        elif spec.name == "time_entries":
            params["from"] = request.start.date().isoformat()
        self._follow(f"/v2/{spec.name}", params, spec, request, lambda body: self._stage(landing, body),
                     progress=landing.progress)
        newest = landing.max_updated_at()
        if request.mode == "incremental" and newest is not None:
            landing.checkpoint({"updated_at": newest.isoformat()})

    def _follow(self, url: str | None, params: dict[str, str], spec: StreamSpec, request: ReadRequest,
                handle: Callable[[bytes], dict], *, progress=None) -> None:
        """GET ``url`` and every ``links.next`` after it, passing each body to ``handle``."""
        query: dict[str, str] | None = params
        while url:
            _, envelope = self.http.get(url, query, stream=spec.name, window=request.window,
                                        validate=lambda r, body: handle(body))
            if progress is not None and envelope.get("total_entries") is not None:
                progress.expected_total = envelope["total_entries"]
            url = (envelope.get("links") or {}).get("next")
            query = None  # the next link carries every parameter

    def _read_user_rates(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        """Rates of every user changed since the cursor (every user on a first or full read).

        The cursor is the newest user ``updated_at`` seen, on the source's clock, like the
        other streams': the users are what this read pages on, not the rates.
        """
        params = {"per_page": str(self.page_size)}
        if request.mode == "incremental" and request.cursor:
            params["updated_since"] = request.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        users: dict[str, str] = {}

        def collect(body: bytes) -> dict:
            envelope = _envelope(body)
            users.update((str(u["id"]), u["updated_at"]) for u in envelope.pop("users", []))
            return envelope

        self._follow("/v2/users", params, spec, request, collect)
        for user_id in users:
            landing.con.execute(f"set variable {RATE_USER_VARIABLE} = ?", [user_id])
            self._follow(USER_CHILD_STREAMS[spec.name].format(id=user_id), {"per_page": str(self.page_size)},
                         spec, request, lambda body: self._stage(landing, body))
        if request.mode == "incremental" and users:
            newest_user = max(datetime.fromisoformat(stamp.replace("Z", "+00:00")) for stamp in users.values())
            landing.checkpoint({"updated_at": newest_user.isoformat()})

    @staticmethod
    def _stage(landing: Landing, body: bytes) -> dict:
        envelope = _envelope(body)
        landing.page(body)
        envelope.pop(landing.spec.name, None)
        return envelope

    def reconcile_where(self, spec: StreamSpec, request: ReadRequest) -> str | None:
        if spec.name == "time_entries":
            return (f"spent_date >= date '{request.start.date().isoformat()}' "
                    f"and spent_date < date '{request.end.date().isoformat()}'")
        return None


def _envelope(body: bytes) -> dict:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise MalformedBody(f"invalid JSON: {exc}") from exc

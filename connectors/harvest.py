"""Harvest API v2 connector: time entries, users (capacity, rates) and projects (budgets).

Harvest lists follow ``links.next`` (cursor URLs; ``page``/``next_page`` are null
mid-stream, so page numbers are never computed). Incremental reads use
``updated_since``; the cursor is the newest ``updated_at`` seen and only moves
once the whole read is committed, because Harvest does not promise an order we
could checkpoint on. Backfills window time entries on ``spent_date``
(``from``/``to``). Harvest reports no deletions: a ``full`` read of a window
flags entries it no longer returns as deleted.

Environment: ``HARVEST_ACCOUNT_ID``, ``HARVEST_ACCESS_TOKEN``, optional
``HARVEST_BASE_URL`` (default https://api.harvestapp.com), ``HARVEST_PAGE_SIZE``
(default 2000), ``HARVEST_MAX_REQUESTS_PER_15S`` (default 90: Harvest allows 100).
"""

from __future__ import annotations

import json
from datetime import UTC, timedelta

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


STREAMS = [
    _stream("users", "One row per Harvest user (weekly_capacity in seconds, cost and billable rates).",
            is_reference=True),
    _stream("projects", "One row per Harvest project (budget, budget_by, fixed fee).", is_reference=True),
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
        params: dict[str, str] = {"per_page": str(self.page_size)}
        if spec.name == "time_entries" and request.mode in ("backfill", "full"):
            # Windows on the event date; Harvest's `to` is inclusive.
            params["from"] = request.start.date().isoformat()
            params["to"] = (request.end - timedelta(days=1)).date().isoformat()
        elif request.mode == "incremental" and request.cursor:
            params["updated_since"] = request.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        elif spec.name == "time_entries":
            params["from"] = request.start.date().isoformat()
        url: str | None = f"/v2/{spec.name}"
        query: dict[str, str] | None = params
        while url:
            _, envelope = self.http.get(url, query, stream=spec.name, window=request.window,
                                        validate=lambda r, body: self._stage(landing, body))
            if landing.progress is not None and envelope.get("total_entries") is not None:
                landing.progress.expected_total = envelope["total_entries"]
            url = (envelope.get("links") or {}).get("next")
            query = None  # the next link carries every parameter
        newest = landing.max_updated_at()
        if request.mode == "incremental" and newest is not None:
            landing.checkpoint({"updated_at": newest.isoformat()})

    @staticmethod
    def _stage(landing: Landing, body: bytes) -> dict:
        try:
            envelope = json.loads(body)
        except ValueError as exc:
            raise MalformedBody(f"invalid JSON: {exc}") from exc
        landing.page(body)
        envelope.pop(landing.spec.name, None)
        return envelope

    def reconcile_where(self, spec: StreamSpec, request: ReadRequest) -> str | None:
        if spec.name == "time_entries":
            return (f"spent_date >= date '{request.start.date().isoformat()}' "
                    f"and spent_date < date '{request.end.date().isoformat()}'")
        return None


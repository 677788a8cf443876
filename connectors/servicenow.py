"""ServiceNow Table API connector.

Reads tables incrementally on ``sys_updated_on`` (a UTC ``YYYY-MM-DD HH:MM:SS``
string in DB-value mode) with **keyset paging** on ``(sys_updated_on, sys_id)``:
each page asks for rows after the last key read, so records updated while we
page can never shift a not-yet-read row past us (plain offset paging can).
Offset paging is kept only as a fallback for pages that ACLs emptied (the limit
is applied before ACL evaluation, so a page can be empty while more rows exist):
we never stop on a short or empty page, only when the ``Link`` header has no
``rel="next"``.

Environment: ``SERVICENOW_INSTANCE_URL``, ``SERVICENOW_USERNAME`` and
``SERVICENOW_PASSWORD`` (or ``SERVICENOW_TOKEN`` for an OAuth bearer token);
optional ``SERVICENOW_API_VERSION`` (``v1``/``v2``; v1 answers 404 on empty results),
``SERVICENOW_PAGE_SIZE`` (default 5000), ``SERVICENOW_MAX_REQUESTS_PER_MINUTE``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import requests

from connectors.core.base import Connector, ReadRequest
from connectors.core.config import env, env_secret, register_basic_auth, require
from connectors.core.errors import ConfigError, SourceAPIError
from connectors.core.http import RequestBudget, SourceHTTP, check_json_object
from connectors.core.landing import Landing, StreamSpec

SOURCE = "servicenow"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def table_stream(
    table: str, description: str, columns: dict[str, tuple[str, str]] | None = None, *, is_reference: bool = False
) -> StreamSpec:
    """A Table API table keyed on sys_id and versioned by sys_updated_on."""
    return StreamSpec(
        source=SOURCE,
        name=table,
        records_path="$.result",
        primary_key="rec->>'sys_id'",
        updated_raw="rec->>'sys_updated_on'",
        updated_at="try_strptime(rec->>'sys_updated_on', '%Y-%m-%d %H:%M:%S') at time zone 'UTC'",
        columns=columns or {},
        description=description,
        is_reference=is_reference,
    )


STREAMS = [
    table_stream("sys_user_group", "One row per ServiceNow assignment group (our teams).", is_reference=True),
    table_stream("sys_user", "One row per ServiceNow user: IT staff and the requesters who raise tickets.",
                 is_reference=True),
    table_stream("sys_user_grmember", "One row per (user, group) membership.", is_reference=True),
    table_stream("cmdb_ci_service", "One row per business service (the services tickets are raised against).",
                 is_reference=True),
    table_stream(
        "incident",
        "One row per ServiceNow incident (latest version), from /api/now/table/incident.",
        {"number": ("rec->>'number'", "varchar")},
    ),
]


def sn_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


class ServiceNowConnector(Connector):
    source = SOURCE
    STREAMS = STREAMS
    required_env = ("SERVICENOW_INSTANCE_URL",)

    def __init__(self, http: SourceHTTP, *, api_version: str | None = None, page_size: int = 5000, **kwargs) -> None:
        super().__init__(http, **kwargs)
        self.api_version = api_version
        self.page_size = page_size

    @classmethod
    def enabled(cls) -> bool:
        return bool(env("SERVICENOW_INSTANCE_URL")) and bool(
            env("SERVICENOW_TOKEN") or (env("SERVICENOW_USERNAME") and env("SERVICENOW_PASSWORD"))
        )

    @classmethod
    def from_env(cls) -> ServiceNowConnector:
        base = require("SERVICENOW_INSTANCE_URL", SOURCE, hint="e.g. https://acme.service-now.com")
        token = env_secret("SERVICENOW_TOKEN")
        auth = None
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        else:
            user = require("SERVICENOW_USERNAME", SOURCE)
            password = env_secret("SERVICENOW_PASSWORD")
            if not password:
                raise ConfigError("neither SERVICENOW_PASSWORD nor SERVICENOW_TOKEN is set", source=SOURCE,
                                  hint="set SERVICENOW_USERNAME and SERVICENOW_PASSWORD, or SERVICENOW_TOKEN")
            register_basic_auth(user, password)
            auth = requests.auth.HTTPBasicAuth(user, password)
        per_minute = env("SERVICENOW_MAX_REQUESTS_PER_MINUTE")
        http = SourceHTTP(
            SOURCE, base, headers=headers, auth=auth,
            budget=RequestBudget(int(per_minute), 60.0) if per_minute else None,
            credentials_hint="check SERVICENOW_USERNAME/SERVICENOW_PASSWORD (or SERVICENOW_TOKEN) and that the "
            "user has the rest_service role and read ACLs on the table",
        )
        version = env("SERVICENOW_API_VERSION")
        if version not in (None, "v1", "v2"):
            raise ConfigError(f"SERVICENOW_API_VERSION={version!r}", source=SOURCE, hint="use v1, v2 or leave unset")
        return cls(http, api_version=version, page_size=int(env("SERVICENOW_PAGE_SIZE", "5000")))

    def path(self, table: str) -> str:
        return f"/api/now/{self.api_version}/table/{table}" if self.api_version else f"/api/now/table/{table}"

    def read(self, spec: StreamSpec, request: ReadRequest, landing: Landing) -> None:
        window = request.window
        key: tuple[str, str] | None = None
        offset = 0
        while True:
            params = {
                "sysparm_query": self.query(request, key),
                "sysparm_limit": str(self.page_size),
                "sysparm_offset": str(offset),
                "sysparm_display_value": "false",
                "sysparm_exclude_reference_link": "false",
            }

            def stage(response: requests.Response, body: bytes) -> int:
                if response.status_code == 404:
                    if b"No Record found" in body:  # v1's way of saying "empty"
                        return 0
                    raise SourceAPIError(f"HTTP 404 for table {spec.name}", status=404, source=SOURCE,
                                         stream=spec.name, window=window,
                                         hint="check the table name and the instance URL")
                check_json_object(body)
                return landing.page(body)

            response, count = self.http.get(
                self.path(spec.name), params, stream=spec.name, window=window, ok_statuses=(200, 404), validate=stage
            )
            if landing.progress is not None and response.headers.get("X-Total-Count") and key is None and not offset:
                landing.progress.expected_total = int(response.headers["X-Total-Count"])
            has_next = "next" in response.links
            if count:
                last = landing.last_key()
                if last is not None:
                    key = (sn_timestamp(last[0]), last[1])
                    if request.mode == "incremental":
                        landing.checkpoint({"updated_at": last[0].isoformat(), "id": last[1]})
                offset = 0
            elif has_next:
                offset += self.page_size  # a page emptied by ACLs: step over it, never stop early
            if not has_next:
                break

    def query(self, request: ReadRequest, key: tuple[str, str] | None) -> str:
        order = "^ORDERBYsys_updated_on^ORDERBYsys_id"
        end = f"^sys_updated_on<{sn_timestamp(request.end)}"
        if key is None:
            return f"sys_updated_on>={sn_timestamp(request.start)}{end}{order}"
        ts, sys_id = key
        # (updated > ts) OR (updated = ts AND sys_id > last): the rest of the key order.
        return f"sys_updated_on>{ts}{end}^NQsys_updated_on={ts}^sys_id>{sys_id}{order}"

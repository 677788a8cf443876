"""Start every fake source API over one org store and hand back the environment that
points the connectors at them (fresh random credentials each time)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from connectors.fakes.base import FakeAPI, OrgStore
from connectors.fakes.harvest import FakeHarvest
from connectors.fakes.jira import FakeJira
from connectors.fakes.servicenow import FakeServiceNow


def _servicenow(store: OrgStore, port: int) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    password = secrets.token_urlsafe(16)
    api = FakeServiceNow(store, username="itops-integration", password=password, port=port)
    return api, lambda a: {"SERVICENOW_INSTANCE_URL": a.url, "SERVICENOW_USERNAME": "itops-integration",
                           "SERVICENOW_PASSWORD": password}


def _harvest(store: OrgStore, port: int) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    token = secrets.token_urlsafe(24)
    api = FakeHarvest(store, account_id="1234567", token=token, port=port)
    return api, lambda a: {"HARVEST_BASE_URL": a.url, "HARVEST_ACCOUNT_ID": "1234567", "HARVEST_ACCESS_TOKEN": token}


def _jira(store: OrgStore, port: int) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    token = secrets.token_urlsafe(24)
    api = FakeJira(store, email="itops-integration@acme-corp.example", api_token=token, port=port)
    return api, lambda a: {"JIRA_BASE_URL": a.url, "JIRA_EMAIL": "itops-integration@acme-corp.example",
                           "JIRA_API_TOKEN": token}


FAKES: dict[str, Callable[[OrgStore, int], tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]]] = {
    "servicenow": _servicenow,
    "harvest": _harvest,
    "jira": _jira,
}


@dataclass
class FakeSuite:
    store: OrgStore
    apis: dict[str, FakeAPI] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        for api in self.apis.values():
            api.stop()
        self.store.close()

    def __enter__(self) -> FakeSuite:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_fakes(store_path: Path, sources: list[str] | None = None, ports: dict[str, int] | None = None) -> FakeSuite:
    store = OrgStore(store_path)
    suite = FakeSuite(store)
    try:
        for name in sources or list(FAKES):
            api, env_of = FAKES[name](store, (ports or {}).get(name, 0))
            api.start()
            suite.apis[name] = api
            suite.env.update(env_of(api))
    except BaseException:
        suite.stop()
        raise
    # First pulls start where the synthetic history starts.
    suite.env["ITOPS_START_DATE"] = store.start_date.isoformat()
    return suite

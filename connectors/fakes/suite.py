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
from connectors.fakes.pagerduty import FakePagerDuty
from connectors.fakes.runn import FakeRunn
from connectors.fakes.servicenow import FakeServiceNow
from connectors.fakes.zendesk import FakeZendesk


def _servicenow(store: OrgStore, port: int) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    password = secrets.token_urlsafe(16)
    api = FakeServiceNow(store, username="itops-integration", password=password, port=port)
    return api, lambda a: {"SERVICENOW_INSTANCE_URL": a.url, "SERVICENOW_USERNAME": "itops-integration",
                           "SERVICENOW_PASSWORD": password}


def _harvest(store: OrgStore, port: int) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    token = secrets.token_urlsafe(24)
    api = FakeHarvest(store, account_id="1234567", token=token, port=port)
    return api, lambda a: {"HARVEST_BASE_URL": a.url, "HARVEST_ACCOUNT_ID": "1234567", "HARVEST_ACCESS_TOKEN": token}


def _pagerduty(store: OrgStore, port: int) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    token = secrets.token_urlsafe(15)
    api = FakePagerDuty(store, api_key=token, port=port)
    return api, lambda a: {"PAGERDUTY_BASE_URL": a.url, "PAGERDUTY_API_TOKEN": token}


def _zendesk(store: OrgStore, port: int) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    token = secrets.token_urlsafe(24)
    email = "itops-integration@acme-corp.example"
    # The suite's account has Zendesk's High Volume add-on (30 export requests a minute
    # instead of 10), so the demo does not spend a minute waiting; tests of the 10/min
    # behaviour build their own FakeZendesk.
    api = FakeZendesk(store, email=email, api_token=token, port=port, export_rate_limit=(30, 60.0))
    return api, lambda a: {"ZENDESK_BASE_URL": a.url, "ZENDESK_EMAIL": email, "ZENDESK_API_TOKEN": token,
                           "ZENDESK_MAX_EXPORT_REQUESTS_PER_MINUTE": "30"}


def _runn(store: OrgStore, port: int) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    token = "LIVE_" + secrets.token_urlsafe(24)
    api = FakeRunn(store, token=token, port=port)
    return api, lambda a: {"RUNN_BASE_URL": a.url, "RUNN_API_TOKEN": token}


def _jira(store: OrgStore, port: int) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    token = secrets.token_urlsafe(24)
    api = FakeJira(store, email="itops-integration@acme-corp.example", api_token=token, port=port)
    return api, lambda a: {"JIRA_BASE_URL": a.url, "JIRA_EMAIL": "itops-integration@acme-corp.example",
                           "JIRA_API_TOKEN": token}


FAKES: dict[str, Callable[[OrgStore, int], tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]]] = {
    "servicenow": _servicenow,
    "harvest": _harvest,
    "pagerduty": _pagerduty,
    "zendesk": _zendesk,
    "runn": _runn,
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

"""Start every fake source API over one org store and hand back the environment that
points the connectors at them (fresh random credentials each time).

``bulk=True`` is the benchmarks' way to load an enterprise-size org in minutes: the fakes
answer pages :data:`BULK_PAGE_SCALE` times the vendor's size and enforce no rate limit, and
the environment lifts the connectors' own request budgets. The connectors, their paging,
landing and cursors are the production code either way; only the sizes of the answers differ.
"""

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

#: bulk mode: how many vendor pages one answer holds (ServiceNow's page size is the client's,
#: see BULK_ENV; PagerDuty's volumes need none); sized so a page stays well under 100 MB of JSON
BULK_PAGE_SCALE = {"jira": 20, "zendesk": 10, "harvest": 5, "runn": 20}
#: bulk mode: the connectors' request budgets, lifted (the fakes enforce no limit then)
BULK_ENV = {"HARVEST_MAX_REQUESTS_PER_15S": "1000000", "ZENDESK_MAX_EXPORT_REQUESTS_PER_MINUTE": "1000000",
            "PAGERDUTY_MAX_REQUESTS_PER_MINUTE": "1000000",
            # ServiceNow's page size is the client's to choose: 5x fewer scans of the fake's
            # multi-million-row metric_instance snapshot per record read
            "SERVICENOW_PAGE_SIZE": "25000"}

#: bulk mode: the fakes' snapshots of a large org spill to disk past this
BULK_MEMORY_LIMIT = "14GB"

Factory = Callable[[OrgStore, int, bool], tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]]


def _servicenow(store: OrgStore, port: int, bulk: bool) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    password = secrets.token_urlsafe(16)
    api = FakeServiceNow(store, username="itops-integration", password=password, port=port)
    return api, lambda a: {"SERVICENOW_INSTANCE_URL": a.url, "SERVICENOW_USERNAME": "itops-integration",
                           "SERVICENOW_PASSWORD": password}


def _harvest(store: OrgStore, port: int, bulk: bool) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    token = secrets.token_urlsafe(24)
    api = FakeHarvest(store, account_id="1234567", token=token, port=port,
                      **({"rate_limit": None, "page_scale": BULK_PAGE_SCALE["harvest"]} if bulk else {}))
    return api, lambda a: {"HARVEST_BASE_URL": a.url, "HARVEST_ACCOUNT_ID": "1234567", "HARVEST_ACCESS_TOKEN": token}


def _pagerduty(store: OrgStore, port: int, bulk: bool) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    token = secrets.token_urlsafe(15)
    api = FakePagerDuty(store, api_key=token, port=port, **({"rate_limit": 10**9} if bulk else {}))
    return api, lambda a: {"PAGERDUTY_BASE_URL": a.url, "PAGERDUTY_API_TOKEN": token}


def _zendesk(store: OrgStore, port: int, bulk: bool) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    token = secrets.token_urlsafe(24)
    email = "itops-integration@acme-corp.example"
    # The suite's account has Zendesk's High Volume add-on (30 export requests a minute
    # instead of 10), so the demo does not spend a minute waiting; tests of the 10/min
    # behaviour build their own FakeZendesk.
    limits = {"export_rate_limit": None, "account_rate_limit": None, "page_scale": BULK_PAGE_SCALE["zendesk"]} \
        if bulk else {"export_rate_limit": (30, 60.0)}
    api = FakeZendesk(store, email=email, api_token=token, port=port, **limits)
    return api, lambda a: {"ZENDESK_BASE_URL": a.url, "ZENDESK_EMAIL": email, "ZENDESK_API_TOKEN": token,
                           "ZENDESK_MAX_EXPORT_REQUESTS_PER_MINUTE": "30"}


def _runn(store: OrgStore, port: int, bulk: bool) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    token = "LIVE_" + secrets.token_urlsafe(24)
    api = FakeRunn(store, token=token, port=port,
                   **({"rate_limit": None, "page_scale": BULK_PAGE_SCALE["runn"]} if bulk else {}))
    return api, lambda a: {"RUNN_BASE_URL": a.url, "RUNN_API_TOKEN": token}


def _jira(store: OrgStore, port: int, bulk: bool) -> tuple[FakeAPI, Callable[[FakeAPI], dict[str, str]]]:
    token = secrets.token_urlsafe(24)
    api = FakeJira(store, email="itops-integration@acme-corp.example", api_token=token, port=port,
                   **({"page_scale": BULK_PAGE_SCALE["jira"]} if bulk else {}))
    return api, lambda a: {"JIRA_BASE_URL": a.url, "JIRA_EMAIL": "itops-integration@acme-corp.example",
                           "JIRA_API_TOKEN": token}


FAKES: dict[str, Factory] = {
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


def start_fakes(store_path: Path, sources: list[str] | None = None, ports: dict[str, int] | None = None,
                *, bulk: bool = False, memory_limit: str | None = None) -> FakeSuite:
    """``memory_limit``: where the snapshots start spilling to disk (bulk mode: BULK_MEMORY_LIMIT)."""
    store = OrgStore(store_path, memory_limit=memory_limit or (BULK_MEMORY_LIMIT if bulk else None))
    suite = FakeSuite(store)
    try:
        for name in sources or list(FAKES):
            api, env_of = FAKES[name](store, (ports or {}).get(name, 0), bulk)
            api.start()
            suite.apis[name] = api
            suite.env.update(env_of(api))
    except BaseException:
        suite.stop()
        raise
    # First pulls start where the synthetic history starts.
    suite.env["ITOPS_START_DATE"] = store.start_date.isoformat()
    if bulk:
        suite.env.update(BULK_ENV)
    return suite

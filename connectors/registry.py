"""Every source the pipeline knows, in one place; a source is enabled when its credentials are set."""

from __future__ import annotations

from connectors.core.base import Connector
from connectors.harvest import HarvestConnector
from connectors.jira import JiraConnector
from connectors.pagerduty import PagerDutyConnector
from connectors.runn import RunnConnector
from connectors.servicenow import ServiceNowConnector
from connectors.zendesk import ZendeskConnector

CONNECTORS: dict[str, type[Connector]] = {
    "servicenow": ServiceNowConnector,
    "harvest": HarvestConnector,
    "pagerduty": PagerDutyConnector,
    "zendesk": ZendeskConnector,
    "runn": RunnConnector,
    "jira": JiraConnector,
}


def enabled_sources() -> list[str]:
    return [name for name, cls in CONNECTORS.items() if cls.enabled()]


def build(source: str) -> Connector:
    return CONNECTORS[source].from_env()


def ensure_all_raw_tables(con) -> None:
    """Create every registered stream's raw table (empty if never loaded), so that dbt
    builds whichever sources an organisation uses: a staging model over an unused source
    reads an empty table instead of failing."""
    from connectors.core.landing import ensure_raw_table
    from connectors.spreadsheets import ensure_tables as ensure_spreadsheet_tables

    for cls in CONNECTORS.values():
        for spec in cls.stream_specs():
            ensure_raw_table(con, spec)
    ensure_spreadsheet_tables(con)

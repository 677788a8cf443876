"""Every source the pipeline knows, in one place; a source is enabled when its credentials are set."""

from __future__ import annotations

from connectors.core.base import Connector
from connectors.harvest import HarvestConnector
from connectors.servicenow import ServiceNowConnector

CONNECTORS: dict[str, type[Connector]] = {
    "servicenow": ServiceNowConnector,
    "harvest": HarvestConnector,
}


def enabled_sources() -> list[str]:
    return [name for name, cls in CONNECTORS.items() if cls.enabled()]


def build(source: str) -> Connector:
    return CONNECTORS[source].from_env()

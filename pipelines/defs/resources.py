"""Dagster resources. Credentials are never resources or run config: connectors read
them from the environment at run time, so they cannot leak into Dagster's event log."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from connectors.core.config import warehouse_path


class WarehouseResource(dg.ConfigurableResource):
    """The working DuckDB file (``ITOPS_WAREHOUSE``); an empty path means the default."""

    path: str = ""

    def db_path(self) -> Path:
        return Path(self.path).resolve() if self.path else warehouse_path()

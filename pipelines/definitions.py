"""The Dagster code location (``dagster dev -w workspace.yaml``): assets, job, schedule."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.connectors import connector_assets
from pipelines.defs.dbt import build_dbt_assets, dbt_resource
from pipelines.defs.jobs import full_refresh_job
from pipelines.defs.publish import publish_assets
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.schedules import nightly_schedule


def build_definitions() -> dg.Definitions:
    refresh = full_refresh_job()
    assets = [*connector_assets(), build_dbt_assets()]
    # Published last: the snapshot depends on every asset that writes the warehouse.
    assets += publish_assets(assets)
    return dg.Definitions(
        assets=assets,
        jobs=[refresh],
        schedules=[nightly_schedule(refresh)],
        resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
        executor=dg.in_process_executor,
    )


defs = build_definitions()

"""The Dagster code location (``dagster dev -w workspace.yaml``): assets, checks, jobs, schedule, sensors."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.checks import freshness_sensor, mart_freshness_checks, stream_checks
from pipelines.defs.connectors import connector_assets
from pipelines.defs.dbt import build_dbt_assets, dbt_resource, mart_freshness_hours
from pipelines.defs.history import history_assets, history_partitions
from pipelines.defs.jobs import full_refresh_job, history_backfill_job
from pipelines.defs.publish import publish_assets
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.schedules import nightly_schedule
from pipelines.defs.sensors import alert_sensors
from pipelines.defs.spreadsheets import spreadsheet_definitions


def build_definitions() -> dg.Definitions:
    partitions = history_partitions()
    freshness_checks = mart_freshness_checks(mart_freshness_hours())
    refresh = full_refresh_job()
    writers = [*connector_assets(), build_dbt_assets()]
    core = dg.Definitions(
        # Published last: the snapshot and the report depend on every stream and dbt model.
        assets=[*writers, *history_assets(partitions), *publish_assets(writers)],
        asset_checks=[*stream_checks(), *freshness_checks],
        jobs=[refresh, history_backfill_job(partitions)],
        schedules=[nightly_schedule(refresh)],
        sensors=[*alert_sensors(), freshness_sensor(freshness_checks)],
        resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
        executor=dg.in_process_executor,
    )
    return dg.Definitions.merge(core, spreadsheet_definitions())


defs = build_definitions()

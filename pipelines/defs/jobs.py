"""Jobs. Everything that writes the warehouse runs in one process, one step at a time:
DuckDB admits a single read-write process per file."""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

FULL_REFRESH = "full_refresh"


def full_refresh_job() -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        FULL_REFRESH,
        selection=dg.AssetSelection.all(),
        description="Pull every enabled source incrementally, then build and test every dbt model.",
        executor_def=dg.in_process_executor,
    )

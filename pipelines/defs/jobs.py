"""Jobs. Everything that writes the warehouse runs in one process, one step at a time:
DuckDB admits a single read-write process per file."""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from connectors.registry import CONNECTORS, enabled_sources
from pipelines.defs.connectors import RAW_PREFIX

FULL_REFRESH = "full_refresh"


def refresh_selection() -> dg.AssetSelection:
    """Every dbt model plus the streams of the sources whose credentials are set.

    Streams of unconfigured sources stay in the asset graph but out of the job: a stream
    that cannot run would otherwise leave every model below it skipped. (The code
    location reads the environment when it loads; reload it after adding credentials.)
    """
    disabled = [f"{RAW_PREFIX}{name}" for name in CONNECTORS if name not in enabled_sources()]
    selection = dg.AssetSelection.all()
    for group in disabled:
        selection = selection - dg.AssetSelection.groups(group)
    return selection


def full_refresh_job() -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        FULL_REFRESH,
        selection=refresh_selection(),
        description="Pull every enabled source incrementally, then build and test every dbt model.",
        executor_def=dg.in_process_executor,
    )

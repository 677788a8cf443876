"""Jobs. Everything that writes the warehouse runs in one process, one step at a time:
DuckDB admits a single read-write process per file.

* ``full_refresh`` (the nightly): every enabled source incrementally, then every dbt
  model and test, and the checks on them. Unpartitioned.
* ``history_backfill``: the daily-partitioned history assets of the enabled sources for
  a range of days (one run per range: their backfill policy is single-run), the
  sources' reference streams (read incrementally: they have no history), then every
  dbt model with the window as dbt vars.
"""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from connectors.core.config import env
from connectors.registry import CONNECTORS, enabled_sources
from pipelines.defs.connectors import RAW_PREFIX, stream_key
from pipelines.defs.history import HISTORY_PREFIX, history_group

FULL_REFRESH = "full_refresh"
HISTORY_BACKFILL = "history_backfill"
#: Dagster's run monitoring (the daemon) fails a run that outlives this many seconds.
MAX_RUNTIME_TAG = "dagster/max_runtime"
#: runs that write the working warehouse (for run-level concurrency limits, see docs/deploy.md)
WRITER_TAG = "itops/warehouse"


def run_timeout_seconds() -> int:
    return int(env("ITOPS_RUN_TIMEOUT_SECONDS", str(4 * 3600)))


def backfill_timeout_seconds() -> int:
    return int(env("ITOPS_BACKFILL_TIMEOUT_SECONDS", str(24 * 3600)))


def _all_groups(prefix: str) -> list[str]:
    return [f"{prefix}_{name}" for name in CONNECTORS]


def refresh_selection() -> dg.AssetSelection:
    """Every dbt model plus the streams of the sources whose credentials are set.

    Streams of unconfigured sources stay in the asset graph but out of the job: a stream
    that cannot run would otherwise leave every model below it skipped. (The code
    location reads the environment when it loads; reload it after adding credentials.)
    History assets are partitioned and belong to the backfill job only.
    """
    disabled = [f"{RAW_PREFIX}{name}" for name in CONNECTORS if name not in enabled_sources()]
    selection = dg.AssetSelection.all()
    for group in disabled + _all_groups(HISTORY_PREFIX):
        selection = selection - dg.AssetSelection.groups(group)
    return selection


def backfill_selection() -> dg.AssetSelection:
    """History and reference streams of the enabled sources, and every dbt model."""
    enabled = enabled_sources()
    reference = [stream_key(name, spec.name) for name in enabled
                 for spec in CONNECTORS[name].stream_specs() if spec.is_reference]
    selection = refresh_selection() - dg.AssetSelection.groups(*[f"{RAW_PREFIX}{name}" for name in CONNECTORS])
    if reference:
        selection = selection | dg.AssetSelection.assets(*reference)
    for name in enabled:
        selection = selection | dg.AssetSelection.groups(history_group(name))
    return selection


def full_refresh_job() -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        FULL_REFRESH,
        selection=refresh_selection(),
        description="Pull every enabled source incrementally, then build and test every dbt model.",
        executor_def=dg.in_process_executor,
        tags={MAX_RUNTIME_TAG: str(run_timeout_seconds()), WRITER_TAG: "writer"},
    )


def history_backfill_job(partitions: dg.PartitionsDefinition) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        HISTORY_BACKFILL,
        selection=backfill_selection(),
        partitions_def=partitions,
        description="Load the history of the enabled sources day window by day window over a range of days "
                    "(windows already loaded are skipped), then build and test every dbt model.",
        executor_def=dg.in_process_executor,
        tags={MAX_RUNTIME_TAG: str(backfill_timeout_seconds()), WRITER_TAG: "writer"},
    )

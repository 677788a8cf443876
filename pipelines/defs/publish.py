"""Publishing in Dagster: the read-only snapshot and the KPI report, after everything else.

``published/warehouse`` depends on every dbt model, so it runs only when the whole
build and its dbt tests (asset checks) succeeded: a failed step upstream skips it and
the last published snapshot stays as it was. It also refuses to publish when any check
of the run failed with ERROR severity, including checks that are not blocking.
``published/kpi_report`` renders the static report from the snapshot just published.
"""

from collections.abc import Sequence

import dagster as dg

from pipelines.defs.resources import WarehouseResource

PUBLISHED_GROUP = "published"
PUBLISHED_SNAPSHOT = dg.AssetKey([PUBLISHED_GROUP, "warehouse"])
KPI_REPORT = dg.AssetKey([PUBLISHED_GROUP, "kpi_report"])


def failed_error_checks(context: dg.AssetExecutionContext) -> list[str]:
    """Checks evaluated so far in this run that failed with ERROR severity."""
    records = context.instance.get_records_for_run(
        run_id=context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    failed = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.asset_check_evaluation_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return failed


def _upstream_keys(upstream: Sequence[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    return sorted({key for assets in upstream for key in assets.keys}, key=lambda k: k.to_user_string())


def publish_assets(upstream: Sequence[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The snapshot (downstream of every asset in ``upstream``) and the report after it."""

    @dg.asset(
        key=PUBLISHED_SNAPSHOT,
        deps=_upstream_keys(upstream),
        group_name=PUBLISHED_GROUP,
        kinds={"duckdb", "parquet"},
        pool="warehouse_writer",
        description="Read-only copy of marts, bi and reference (DuckDB + Parquet) that BI tools read; "
        "swapped in atomically once the build and its checks passed.",
    )
    def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        from pipelines.bi.publish import publish_snapshot

        failed = failed_error_checks(context)
        if failed:
            raise dg.Failure(
                f"not publishing: {len(failed)} check(s) failed in this run ({', '.join(failed[:5])}); "
                "the last published snapshot stays in place",
                allow_retries=False,
            )
        result = publish_snapshot(warehouse.db_path(), run_id=context.run_id)
        return dg.MaterializeResult(
            metadata={
                "snapshot_id": dg.MetadataValue.text(result.snapshot_id),
                "path": dg.MetadataValue.path(str(result.db_path)),
                "parquet": dg.MetadataValue.path(str(result.parquet_dir)),
                "tables_and_views": dg.MetadataValue.int(len(result.relations)),
                "database_mb": dg.MetadataValue.float(round(result.db_bytes / 1e6, 2)),
                "parquet_mb": dg.MetadataValue.float(round(result.parquet_bytes / 1e6, 2)),
                **{f"seconds_{step}": dg.MetadataValue.float(round(s, 3)) for step, s in result.timings.items()},
            }
        )

    @dg.asset(
        key=KPI_REPORT,
        deps=[PUBLISHED_SNAPSHOT],
        group_name=PUBLISHED_GROUP,
        kinds={"html"},
        description="Static KPI report (report/index.html): scorecard, trends, freshness; read from the snapshot.",
    )
    def kpi_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        from pipelines.bi.report import write_report

        written = write_report(warehouse=warehouse.db_path())
        context.log.info(f"KPI report: {written.index} ({written.kpis} KPIs, snapshot {written.snapshot_id})")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(written.index)),
                "snapshot_id": dg.MetadataValue.text(written.snapshot_id),
                "kpis": dg.MetadataValue.int(written.kpis),
                "charts": dg.MetadataValue.int(written.charts),
            }
        )

    return [published_warehouse, kpi_report]

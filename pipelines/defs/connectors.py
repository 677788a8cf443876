"""One Dagster asset per connector stream, grouped per source.

Each source is a subsettable multi-asset: a run materialises the selected streams
of that source one after another, sharing one HTTP session (and its request
budget) and holding the warehouse writer lock only while it writes.
"""


import dagster as dg

from connectors.core.base import run_stream
from connectors.core.errors import AuthError, ConfigError
from connectors.core.landing import LoadResult
from connectors.core.warehouse import open_writer
from connectors.registry import CONNECTORS
from pipelines.defs.resources import WarehouseResource

RAW_PREFIX = "raw_"


def stream_key(source: str, stream: str) -> dg.AssetKey:
    return dg.AssetKey([f"{RAW_PREFIX}{source}", stream])


def _metadata(result: LoadResult) -> dict[str, dg.MetadataValue]:
    return {
        "rows": dg.MetadataValue.int(result.rows),
        "pages": dg.MetadataValue.int(result.pages),
        "requests": dg.MetadataValue.int(result.requests),
        "retries": dg.MetadataValue.int(result.retries),
        "quarantined": dg.MetadataValue.int(result.quarantined),
        "deleted": dg.MetadataValue.int(result.deleted),
        "seconds": dg.MetadataValue.float(round(result.seconds, 3)),
        "rows_per_second": dg.MetadataValue.float(round(result.rate, 1)),
        "batch_id": dg.MetadataValue.text(result.batch_id),
        "mode": dg.MetadataValue.text(result.mode),
    }


def build_source_assets(source: str) -> dg.AssetsDefinition:
    connector_cls = CONNECTORS[source]
    # Stream specs are static: list them without credentials (none are needed to describe them).
    specs = [
        dg.AssetSpec(
            key=stream_key(source, spec.name),
            description=spec.description,
            group_name=f"{RAW_PREFIX}{source}",
            kinds={"python", "duckdb"},
            metadata={"table": dg.MetadataValue.text(f"{spec.schema}.{spec.name}")},
        )
        for spec in connector_cls.stream_specs()
    ]

    @dg.multi_asset(
        name=f"{source}_streams",
        specs=specs,
        can_subset=True,
        pool=f"source_{source}",
        retry_policy=dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL),
    )
    def _assets(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        if not connector_cls.enabled():
            context.log.warning(f"{source}: not configured (credentials not set); skipping its streams")
            return
        try:
            connector = connector_cls.from_env()
        except ConfigError as exc:
            raise dg.Failure(str(exc), allow_retries=False) from exc
        selected = {key.path[-1] for key in context.selected_asset_keys}
        with open_writer(warehouse.db_path()) as con:
            for spec in connector.streams():
                if spec.name not in selected:
                    continue
                try:
                    result = run_stream(con, connector, spec.name, mode="incremental")
                except (AuthError, ConfigError) as exc:
                    # Retrying cannot fix credentials or settings: fail now, with the message.
                    raise dg.Failure(str(exc), allow_retries=False) from exc
                context.log.info(
                    f"{source}/{spec.name}: {result.rows:,} rows, {result.pages:,} pages, "
                    f"{result.retries} retries, {result.quarantined} quarantined in {result.seconds:.1f}s"
                )
                yield dg.MaterializeResult(asset_key=stream_key(source, spec.name), metadata=_metadata(result))

    return _assets


def connector_assets() -> list[dg.AssetsDefinition]:
    return [build_source_assets(source) for source in CONNECTORS]

"""Parquet files of the published tables, for tools that cannot read DuckDB.

Written from the new snapshot file (never the working warehouse), so the Parquet files
and the DuckDB snapshot of one generation hold exactly the same rows. Layout::

    parquet/<schema>/<table>/<table>-<snapshot id>.parquet                  small tables
    parquet/<schema>/<table>/month=YYYY-MM/<table>-<snapshot id>-<n>.parquet  facts and kpi_metrics

Large facts (``fct_*``) and ``kpi_metrics`` are hive-partitioned by month of their first
date or timestamp column (in the reporting time zone), so a tool reading one month opens
one folder. File names carry the snapshot id: a reader that listed an older generation's
files and opens them after a swap gets "file not found" (and retries), never a silent
mix of two generations.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from connectors.core.config import reporting_timezone
from pipelines.bi.snapshot import quote_ident, quote_literal

PARQUET_MANIFEST = "_manifest.json"
PARTITION_COLUMN = "month"


@dataclass(frozen=True)
class ParquetTable:
    schema: str
    table: str
    path: str  # relative to the parquet folder
    rows: int
    files: int
    partitioned_by: str | None


def is_large_fact(table: str) -> bool:
    return table.startswith("fct_") or table == "kpi_metrics"


def _month_source(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple[str, str] | None:
    """(column, type) of the table's first date or timestamp column."""
    rows = con.execute(
        """select column_name, data_type from duckdb_columns()
           where schema_name = ? and table_name = ?
             and (data_type = 'DATE' or data_type like 'TIMESTAMP%')
           order by column_index limit 1""",
        [schema, table],
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def export_parquet(snapshot_db: Path, target: Path, *, snapshot_id: str, schemas: list[str],
                   timezone: str | None = None) -> list[ParquetTable]:
    """Export every table of ``schemas`` in ``snapshot_db`` under ``target``; writes a manifest."""
    timezone = timezone or reporting_timezone()
    target.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(snapshot_db), read_only=True)
    exported: list[ParquetTable] = []
    try:
        con.execute("set TimeZone = 'UTC'")
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in (select unnest(?)) order by 1, 2",
            [schemas],
        ).fetchall()
        for schema, table in tables:
            folder = target / schema / table
            folder.mkdir(parents=True, exist_ok=True)
            relation = f"{quote_ident(schema)}.{quote_ident(table)}"
            rows = con.execute(f"select count(*) from {relation}").fetchall()[0][0]
            month = _month_source(con, schema, table) if is_large_fact(table) else None
            if month is not None:
                column, data_type = month
                local = (quote_ident(column) if data_type == "DATE"
                         else f"timezone({quote_literal(timezone)}, {quote_ident(column)})")
                con.execute(
                    f"""copy (select *, coalesce(strftime({local}, '%Y-%m'), 'unknown') as {PARTITION_COLUMN}
                              from {relation})
                        to {quote_literal(str(folder))}
                        (format parquet, compression zstd, partition_by ({PARTITION_COLUMN}),
                         filename_pattern {quote_literal(f"{table}-{snapshot_id}-{{i}}")}, overwrite_or_ignore)"""
                )
                # A table with no rows writes no partition at all: readers still need its columns.
                if rows == 0:
                    con.execute(f"copy (select * from {relation}) to "
                                f"{quote_literal(str(folder / f'{table}-{snapshot_id}-empty.parquet'))} "
                                "(format parquet)")
            else:
                con.execute(f"copy {relation} to {quote_literal(str(folder / f'{table}-{snapshot_id}.parquet'))} "
                            "(format parquet, compression zstd)")
            files = sum(1 for _ in folder.rglob("*.parquet"))
            exported.append(ParquetTable(schema, table, f"{schema}/{table}", rows, files,
                                         month[0] if month else None))
    finally:
        con.close()
    manifest = {"snapshot_id": snapshot_id, "timezone": timezone, "tables": [asdict(t) for t in exported]}
    (target / PARQUET_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return exported

"""Copy the BI-facing schemas of the working warehouse into a new DuckDB file.

Measured on the medium synthetic org (484 MB working file, docs/bi.md "How publishing
works"): a checkpoint + byte copy of the whole file takes 0.5 s from a warm page cache
but publishes every schema, raw JSON records included (484 MB); ``COPY FROM DATABASE``
also copies everything (14 s, 410 MB); copying only ``marts``, ``bi`` and ``reference``
table by table takes 2.1 s for a 31 MB file. We copy table by table: BI readers get a
compact file without the raw source records (personal data, and the bulk of the
warehouse), and the file can be written in an older storage format that the DuckDB
builds inside BI drivers (Metabase, DBeaver, ODBC) can still read.

Views are re-created from their SQL in the new file. dbt creates the ``bi`` views with
unqualified names (``marts.fct_tickets``), which DuckDB binds in the view's own catalog,
so they work whatever name a BI tool attaches the file under.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from connectors.core.config import LoadSettings

log = logging.getLogger("itops.publish")

SNAPSHOT_SCHEMA = "bi"


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    kind: str  # table | view
    rows: int | None = None

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _relations(con: duckdb.DuckDBPyConnection, catalog: str, schemas: list[str]) -> tuple[list, list]:
    tables = con.execute(
        """select schema_name, table_name, comment from duckdb_tables()
           where database_name = ? and schema_name in (select unnest(?)) order by 1, 2""",
        [catalog, schemas],
    ).fetchall()
    views = con.execute(
        """select schema_name, view_name, comment, sql from duckdb_views()
           where database_name = ? and not internal and schema_name in (select unnest(?)) order by 1, 2""",
        [catalog, schemas],
    ).fetchall()
    return tables, views


def _column_comments(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, name: str) -> list[tuple[str, str]]:
    return con.execute(
        """select column_name, comment from duckdb_columns()
           where database_name = ? and schema_name = ? and table_name = ? and comment is not null
           order by column_index""",
        [catalog, schema, name],
    ).fetchall()


def _comment(con: duckdb.DuckDBPyConnection, kind: str, qualified: str, comment: str | None,
             columns: list[tuple[str, str]]) -> None:
    if comment:
        con.execute(f"comment on {kind} {qualified} is {quote_literal(comment)}")
    for column, text in columns:
        con.execute(f"comment on column {qualified}.{quote_ident(column)} is {quote_literal(text)}")


def _create_views(con: duckdb.DuckDBPyConnection, views: list[tuple]) -> None:
    """Create views in dependency order: retry those whose inputs are not there yet."""
    pending = list(views)
    while pending:
        failed: list[tuple] = []
        errors: list[str] = []
        for view in pending:
            try:
                con.execute(view[3])
            except duckdb.CatalogException as exc:
                failed.append(view)
                errors.append(f"{view[0]}.{view[1]}: {str(exc).splitlines()[0]}")
        if len(failed) == len(pending):
            raise RuntimeError(
                "views cannot be re-created in the published copy (do they read a schema that is not "
                "published? see ITOPS_PUBLISH_SCHEMAS): " + "; ".join(errors)
            )
        pending = failed


def build_snapshot_db(
    work_db: Path,
    target: Path,
    *,
    schemas: list[str],
    storage_version: str | None,
    info: dict[str, object],
    settings: LoadSettings | None = None,
) -> list[Relation]:
    """Write ``schemas`` of ``work_db`` (opened read-only) into the new file ``target``.

    The caller holds the warehouse writer lock, so the working file does not change while
    it is read. ``info`` becomes the one row of ``bi.snapshot_info``; every relation is
    listed with its row count in ``bi.snapshot_tables``. Returns the relations copied.
    """
    settings = settings or LoadSettings.from_env()
    con = duckdb.connect(config={"memory_limit": settings.duckdb_memory_limit, "threads": settings.duckdb_threads})
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach {quote_literal(str(work_db))} as work (read_only)")
        options = f" (storage_version {quote_literal(storage_version)})" if storage_version else ""
        con.execute(f"attach {quote_literal(str(target))} as snap{options}")
        tables, views = _relations(con, "work", schemas)
        missing = sorted(set(schemas) - {t[0] for t in tables} - {v[0] for v in views})
        if missing:
            log.warning(f"publish: schema(s) {', '.join(missing)} not in the working warehouse; skipped")
        copied: list[Relation] = []
        con.execute("use snap")
        for schema in sorted({t[0] for t in tables} | {v[0] for v in views} | {SNAPSHOT_SCHEMA}):
            con.execute(f"create schema if not exists {quote_ident(schema)}")
        for schema, name, comment in tables:
            relation = Relation(schema, name, "table")
            con.execute(f"create table {relation.qualified} as select * from work.{relation.qualified}")
            _comment(con, "table", relation.qualified, comment, _column_comments(con, "work", schema, name))
            rows = con.execute(f"select count(*) from {relation.qualified}").fetchall()[0][0]
            source_rows = con.execute(f"select count(*) from work.{relation.qualified}").fetchall()[0][0]
            if rows != source_rows:  # a copy is a copy: never publish a short one
                raise RuntimeError(f"publish: {schema}.{name} copied {rows} of {source_rows} rows")
            copied.append(Relation(schema, name, "table", rows))
        _create_views(con, views)
        for schema, name, comment, _sql in views:
            relation = Relation(schema, name, "view")
            _comment(con, "view", relation.qualified, comment, _column_comments(con, "work", schema, name))
            # Binding is checked here, in the new file: a view that works only in the
            # working warehouse must fail the publish, not the dashboards.
            con.execute(f"select * from {relation.qualified} limit 0").fetchall()
            copied.append(relation)
        _write_snapshot_tables(con, info, copied)
        con.execute("checkpoint")
        con.execute("use memory")
        con.execute("detach snap")
        con.execute("detach work")
    finally:
        con.close()
    return copied


def _write_snapshot_tables(con: duckdb.DuckDBPyConnection, info: dict[str, object], copied: list[Relation]) -> None:
    schema = quote_ident(SNAPSHOT_SCHEMA)
    columns = ", ".join(f"{quote_ident(k)} {_sql_type(v)}" for k, v in info.items())
    con.execute(f"create table {schema}.snapshot_info ({columns})")
    con.execute(f"insert into {schema}.snapshot_info values ({', '.join('?' for _ in info)})", list(info.values()))
    con.execute(
        f"""comment on table {schema}.snapshot_info is 'This published snapshot: its id, when and by which run it
was published, and the data''s as-of day. One row.'"""
    )
    con.execute(
        f"create table {schema}.snapshot_tables "
        "(schema_name varchar, table_name varchar, kind varchar, row_count bigint)"
    )
    con.executemany(
        f"insert into {schema}.snapshot_tables values (?, ?, ?, ?)",
        [[r.schema, r.name, r.kind, r.rows] for r in copied],
    )
    con.execute(
        f"""comment on table {schema}.snapshot_tables is 'Every table and view in this snapshot, with the row count
of each table at publish time (readers can check that what they read is complete).'"""
    )


def _sql_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, datetime):
        return "timestamptz"
    return "varchar"

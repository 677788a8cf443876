"""A BI reader for the concurrency test: queries the published snapshot in a loop.

Run as ``python tests/bi_reader.py PUBLISH_DIR DB_NAME OUT_FILE STOP_FILE``. Every
iteration opens ``PUBLISH_DIR/DB_NAME`` read-only (a new connection, as a dashboard
refresh does), checks that what it reads is one complete, consistent snapshot, and
appends one JSON line to OUT_FILE: the snapshot id and any inconsistency or error.
Stops when STOP_FILE exists, or after fifteen minutes whatever happens.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

import duckdb


def check_database(db: Path) -> tuple[str, list[str]]:
    problems: list[str] = []
    con = duckdb.connect(str(db), read_only=True, config={"threads": 1})
    try:
        snapshot_id = con.execute("select snapshot_id from bi.snapshot_info").fetchall()[0][0]
        # Every table holds exactly the rows the publisher counted into it.
        for schema, table, expected in con.execute(
            "select schema_name, table_name, row_count from bi.snapshot_tables where kind = 'table'"
        ).fetchall():
            actual = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
            if actual != expected:
                problems.append(f"{schema}.{table}: {actual} rows, snapshot says {expected}")
        # A fact and its KPI rollup agree: every ticket is counted once by the month it opened.
        tickets = con.execute("select count(*) from marts.fct_tickets").fetchall()[0][0]
        opened = con.execute(
            """select coalesce(sum(value), 0) from marts.kpi_metrics
               where metric = 'tickets_opened' and grain = 'month' and dimension = 'all'"""
        ).fetchall()[0][0]
        if tickets != opened:
            problems.append(f"fct_tickets has {tickets} rows, tickets_opened sums to {opened}")
        if con.execute("select count(*) from bi.tickets").fetchall()[0][0] != tickets:
            problems.append("bi.tickets and marts.fct_tickets differ")
        if tickets == 0:
            problems.append("empty snapshot")
    finally:
        con.close()
    return snapshot_id, problems


def check_parquet(publish_dir: Path) -> tuple[str, list[str]]:
    """Resolve the current generation once, then read its Parquet: counts match its manifest."""
    generation = (publish_dir / "current").resolve()
    manifest = json.loads((generation / "snapshot.json").read_text())
    problems = []
    con = duckdb.connect(config={"threads": 1})
    try:
        for table in manifest["parquet"]:
            if table["table"] not in ("fct_tickets", "kpi_metrics"):
                continue
            files = str(generation / table["path"] / "**" / "*.parquet")
            query = f"select count(*) from read_parquet('{files}', hive_partitioning = true)"
            rows = con.execute(query).fetchall()[0][0]
            if rows != table["rows"]:
                problems.append(f"parquet {table['table']}: {rows} rows, manifest says {table['rows']}")
    finally:
        con.close()
    return manifest["snapshot_id"], problems


def main() -> int:
    publish_dir, db_name, out_file, stop_file = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    deadline = time.monotonic() + 900
    with open(out_file, "a", buffering=1) as out:
        while not stop_file.exists() and time.monotonic() < deadline:
            record: dict[str, object] = {"pid": os.getpid(), "at": time.time()}
            try:
                record["snapshot_id"], record["problems"] = check_database(publish_dir / db_name)
                record["parquet_snapshot_id"], parquet_problems = check_parquet(publish_dir)
                record["problems"] = [*record["problems"], *parquet_problems]
            except Exception as exc:  # every error is a finding, never a crash of the reader
                record["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
            out.write(json.dumps(record) + "\n")
            time.sleep(0.5)  # eight dashboards, not eight busy loops: the refresh needs the CPU too
    return 0


if __name__ == "__main__":
    sys.exit(main())

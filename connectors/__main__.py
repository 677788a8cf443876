"""``python -m connectors load SOURCE [--stream NAME ...]``: run connector reads without Dagster.

Useful to debug one stream, and used by the crash-safety tests (a load killed with
SIGKILL halfway must lose and duplicate nothing on rerun).
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime

from connectors.core.base import run_stream
from connectors.core.config import redact, warehouse_path
from connectors.core.warehouse import open_writer
from connectors.registry import CONNECTORS


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="read streams of one source into the warehouse")
    load.add_argument("source", choices=sorted(CONNECTORS))
    load.add_argument("--stream", action="append", help="only this stream (repeatable)")
    load.add_argument("--mode", choices=["incremental", "backfill", "full"], default="incremental")
    load.add_argument("--start", type=_moment, help="window start (backfill/full), ISO date or datetime")
    load.add_argument("--end", type=_moment, help="window end, exclusive (backfill/full)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    connector = CONNECTORS[args.source].from_env()
    names = args.stream or [spec.name for spec in connector.streams()]
    try:
        with open_writer(warehouse_path()) as con:
            for name in names:
                result = run_stream(con, connector, name, mode=args.mode, start=args.start, end=args.end)
                print(f"{args.source}/{name}: {result.rows} rows, {result.pages} pages, "
                      f"{result.quarantined} quarantined, {result.deleted} deleted")
    except Exception as exc:
        print(f"python -m connectors load failed: {redact(str(exc))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

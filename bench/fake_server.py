"""Serve fake source APIs over an org store in their own process (so benchmarks never
charge the server's CPU or memory to the client being measured).

Prints one JSON line with the environment that points connectors at the fakes, then
serves until SIGTERM/SIGINT (or the fakes' own lifetime limit).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from connectors.fakes.suite import start_fakes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--source", action="append", help="only these fakes (repeatable)")
    parser.add_argument("--clock", type=datetime.fromisoformat,
                        help="the fakes' 'now' (default: the end of the org's history)")
    parser.add_argument("--bulk", action="store_true",
                        help="bigger pages and no rate limits (loading a large org's history; see fakes/suite.py)")
    parser.add_argument("--memory-limit", help="DuckDB memory limit of the snapshots (e.g. 12GB); they spill past it")
    args = parser.parse_args()
    suite = start_fakes(args.store, args.source, bulk=args.bulk, memory_limit=args.memory_limit)
    if args.clock is not None:
        suite.store.set_clock(args.clock if args.clock.tzinfo else args.clock.replace(tzinfo=UTC))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(json.dumps(suite.env), flush=True)
    try:
        stop.wait()
    finally:
        suite.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()

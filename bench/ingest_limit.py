"""The limit: plain requests fetching the pages, then one DuckDB read over all of them.

No retries, no cursor, no quarantine, no upsert: the least work that gets the same
records into a DuckDB table. Prints one JSON line: rows, pages, seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import duckdb
import requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--query", required=True)
    parser.add_argument("--page-size", type=int, default=5000)
    args = parser.parse_args()
    started = time.monotonic()
    session = requests.Session()
    session.auth = (os.environ["SERVICENOW_USERNAME"], os.environ["SERVICENOW_PASSWORD"])
    url = os.environ["SERVICENOW_INSTANCE_URL"] + "/api/now/table/incident"
    params: dict | None = {"sysparm_query": args.query, "sysparm_limit": str(args.page_size), "sysparm_offset": "0"}
    pages = 0
    with tempfile.TemporaryDirectory(dir=Path(args.db).parent) as spool:
        while url:
            response = session.get(url, params=params, timeout=600)
            response.raise_for_status()
            Path(spool, f"{pages:06d}.json").write_bytes(response.content)
            pages += 1
            url = response.links.get("next", {}).get("url")
            params = None
        con = duckdb.connect(args.db)
        con.execute(
            f"""create table incident as
                select unnest(from_json(json->'$.result', '["json"]')) as record
                from read_json_objects('{spool}/*.json', maximum_object_size=1073741824)"""
        )
        (rows,) = con.execute("select count(*) from incident").fetchone()
        con.close()
    print(json.dumps({"rows": rows, "pages": pages, "seconds": time.monotonic() - started}))


if __name__ == "__main__":
    main()

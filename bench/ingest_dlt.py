"""dlt's generic rest_api source on the same fake, loading DuckDB through parquet files.

Append disposition: dlt's fastest path (no merge staging). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import dlt
from dlt.sources.rest_api import rest_api_source


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--query", required=True)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--disposition", default="append")
    args = parser.parse_args()
    started = time.monotonic()
    source = rest_api_source({
        "client": {
            "base_url": os.environ["SERVICENOW_INSTANCE_URL"] + "/",
            "auth": {"type": "http_basic", "username": os.environ["SERVICENOW_USERNAME"],
                     "password": os.environ["SERVICENOW_PASSWORD"]},
            "paginator": {"type": "header_link"},
        },
        "resources": [{
            "name": "incident",
            "primary_key": "sys_id",
            "write_disposition": args.disposition,
            "endpoint": {
                "path": "api/now/table/incident",
                "params": {"sysparm_query": args.query, "sysparm_limit": args.page_size, "sysparm_offset": 0},
                "data_selector": "result",
            },
        }],
    })
    with tempfile.TemporaryDirectory(dir=Path(args.db).parent) as pipelines_dir:
        pipeline = dlt.pipeline(
            pipeline_name="bench_ingest", pipelines_dir=pipelines_dir,
            destination=dlt.destinations.duckdb(args.db), dataset_name="raw", progress="log",
        )
        info = pipeline.run(source, loader_file_format="parquet")
        info.raise_on_failed_jobs()
        with pipeline.sql_client() as client:
            rows = client.execute_sql("select count(*) from incident")[0][0]
    print(json.dumps({"rows": rows, "seconds": time.monotonic() - started}))


if __name__ == "__main__":
    main()

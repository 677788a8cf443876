"""Benchmark 1 (ingest): 1,000,000 ServiceNow incidents from the fake, three ways.

- ours: `python -m connectors load servicenow` (keyset pages, DuckDB landing, upsert,
  quarantine checks, cursor bookkeeping: everything production does);
- the limit: plain requests + one DuckDB read over the saved pages (bench/ingest_limit.py);
- dlt: dlt's rest_api source with its parquet loader into DuckDB (bench/ingest_dlt.py).

All three read the same window from the same fake server, which runs in its own process.
Targets (issue 8): ours <= 1.5x the limit, >= 5x faster than dlt, peak RSS < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import requests

from bench.common import ROOT, Benchmark, python, remove_database, run_measured, save, timed
from connectors.synthetic import OrgSpec, ensure_store

ROWS = 1_000_000
PAGE_SIZE = 5000


def bench_dir() -> Path:
    path = Path(os.environ.get("ITOPS_BENCH_DIR", ROOT / ".itops" / "bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_fake(store: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    proc = subprocess.Popen([python(), "-m", "bench.fake_server", "--store", str(store), "--source", "servicenow"],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    env = json.loads(proc.stdout.readline())
    return proc, env


def total_before(env: dict[str, str], moment: str) -> int:
    response = requests.get(
        env["SERVICENOW_INSTANCE_URL"] + "/api/now/table/incident",
        params={"sysparm_query": f"sys_updated_on<{moment}", "sysparm_limit": "1", "sysparm_fields": "sys_id"},
        auth=(env["SERVICENOW_USERNAME"], env["SERVICENOW_PASSWORD"]), timeout=600,
    )
    response.raise_for_status()
    return int(response.headers["X-Total-Count"])


def warm_audit_table(env: dict[str, str]) -> None:
    """Build the fake's sys_audit_delete snapshot (a one-time scan of the org's 3M tickets) before
    the clock starts: ours reads the table after the incidents, as production does, and that
    first-request build is the fake's cost, not the client's."""
    response = requests.get(
        env["SERVICENOW_INSTANCE_URL"] + "/api/now/table/sys_audit_delete",
        params={"sysparm_query": "tablename=incident", "sysparm_limit": "1"},
        auth=(env["SERVICENOW_USERNAME"], env["SERVICENOW_PASSWORD"]), timeout=600,
    )
    response.raise_for_status()


def window_end_for(env: dict[str, str], rows: int) -> datetime:
    """The earliest whole second T with at least `rows` incidents updated before T."""
    low = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
    high = datetime(2100, 1, 1, tzinfo=UTC).timestamp()
    if total_before(env, _fmt(high)) < rows:
        raise SystemExit(f"the org store serves fewer than {rows:,} incidents; use a bigger profile")
    while high - low > 1:
        mid = (low + high) // 2
        if total_before(env, _fmt(mid)) >= rows:
            high = mid
        else:
            low = mid
    return datetime.fromtimestamp(high, tz=UTC)


def _fmt(ts: float | datetime) -> str:
    moment = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def count(db: Path, table: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"select count(*) from {table}").fetchone()[0]
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="large")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--skip-dlt", action="store_true")
    args = parser.parse_args()
    work = bench_dir()
    spec = OrgSpec(seed=42, profile=args.profile, end_date=date(2026, 11, 1))
    store_reused = (work / f"{spec.key}.duckdb").exists()
    store = ensure_store(spec, work)
    fake, env = start_fake(store)
    try:
        total_before(env, "2100-01-01 00:00:00")  # builds the fake's snapshot before any client is timed
        warm_audit_table(env)
        end = window_end_for(env, args.rows)
        expected = total_before(env, _fmt(end))
        print(f"ingest window: updated before {end:%Y-%m-%d %H:%M:%S} -> {expected:,} incidents", flush=True)
        query = f"sys_updated_on<{_fmt(end)}^ORDERBYsys_updated_on^ORDERBYsys_id"
        child_env = {**os.environ, **env, "SERVICENOW_PAGE_SIZE": str(PAGE_SIZE), "PYTHONPATH": str(ROOT)}
        results = {}
        for name, cmd in [
            ("limit", [python(), "-m", "bench.ingest_limit", "--query", query, "--page-size", str(PAGE_SIZE)]),
            ("ours", [python(), "-m", "connectors", "load", "servicenow", "--stream", "incident", "--mode",
                      "backfill", "--start", "1970-01-01", "--end", end.isoformat()]),
            ("dlt", [python(), "-m", "bench.ingest_dlt", "--query", query, "--page-size", str(PAGE_SIZE)]),
        ]:
            if name == "dlt" and args.skip_dlt:
                continue
            db = work / f"ingest_{name}.duckdb"
            remove_database(db)
            shutil.rmtree(work / f"ingest_{name}.spool", ignore_errors=True)
            full_cmd = timed(cmd if name == "ours" else [*cmd, "--db", str(db)])
            measured = run_measured(full_cmd, env={**child_env, "ITOPS_WAREHOUSE": str(db)})
            if measured.returncode != 0:
                raise SystemExit(f"{name} failed:\n{measured.stdout[-3000:]}\n{measured.stderr[-3000:]}")
            table = "raw_servicenow.incident" if name == "ours" else ("raw.incident" if name == "dlt" else "incident")
            rows = count(db, table)
            results[name] = (measured, rows)
            print(f"{name}: {rows:,} rows in {measured.seconds:.1f}s ({rows / measured.seconds:,.0f} rows/s), "
                  f"peak RSS {measured.peak_rss_mb:,.0f} MB", flush=True)
            if rows != expected:
                raise SystemExit(f"{name} loaded {rows:,} rows, expected {expected:,}")
            # counted: the next load starts from an empty file anyway, and the warehouse benchmarks
            # that follow need the disk (a large org's working warehouse and the fakes' spill)
            remove_database(db)
    finally:
        fake.terminate()
        fake.wait(timeout=60)
    ours, limit = results["ours"][0], results["limit"][0]
    benches = [
        Benchmark("ingest: 1M ServiceNow incidents vs the limit", round(ours.seconds, 2),
                  "plain requests + one DuckDB read of the pages", round(limit.seconds, 2), "ratio <= 1.5",
                  ours.seconds <= 1.5 * limit.seconds and ours.peak_rss_mb < 1024, round(ours.peak_rss_mb, 1),
                  notes=f"{expected:,} rows; ours {expected / ours.seconds:,.0f} rows/s; peak RSS target < 1024 MB"),
    ]
    if "dlt" in results:
        dlt_run = results["dlt"][0]
        benches.append(Benchmark(
            "ingest: 1M ServiceNow incidents vs dlt", round(ours.seconds, 2),
            "dlt rest_api + parquet loader (append)", round(dlt_run.seconds, 2), "ratio <= 0.2 (5x faster)",
            ours.seconds * 5 <= dlt_run.seconds, round(ours.peak_rss_mb, 1),
            notes=f"dlt peak RSS {dlt_run.peak_rss_mb:,.0f} MB",
        ))
    save(benches, inputs={f"org store {store.name}": "reused" if store_reused else "generated by this run"})
    for b in benches:
        print(f"{b.name}: ours {b.ours_s:.1f}s vs {b.reference_s:.1f}s -> ratio {b.ratio:.2f} "
              f"(target {b.target}: {'met' if b.met else 'NOT met'})")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()

"""Benchmarks 2 (full build), 4 and 5 (BI queries, report: bench/bi.py) and 3 (nightly increment).

2. ``dbt build`` of every model and test on a copy of the raw warehouse (a first build), against
   bench/reference_kpis.sql: the headline KPIs written by hand as one DuckDB script over
   the same raw tables (the limit). Target: <= 2x.
4, 5. On that build, as the evening's refresh leaves it: publish, BI queries, the report.
3. The nightly increment, on that same build: the fakes move to the next day, every source
   is pulled incrementally (one day of new and changed records), then ``dbt build``
   (incremental staging and facts) runs. Target: the build <= 10% of the full build, and the
   increment on the long history within 1.2x of the increment on a short one (cost follows
   the delta). The short history's built warehouse is cached; the long one is not (a large
   org's is 21 GB, and every run measures its full build anyway).
"""

from __future__ import annotations

import argparse
import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path

from bench import bi
from bench.common import ROOT, Benchmark, python, remove_database, run_measured, save, timed
from bench.warehouse import (
    END,
    base_warehouse,
    bench_dir,
    child_env,
    dbt_build,
    dbt_profile,
    fakes_at,
    org_store,
    pull_all,
    raw_warehouse,
    short_history_days,
    stack_profile,
    stop_fakes,
    working_copy,
)

log = logging.getLogger("itops.bench")


def reference(warehouse) -> float:
    """The hand-written KPI script, in its own process (DuckDB CLI-like: open, run, close)."""
    code = ("import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
            "sql = open(sys.argv[2]).read(); "
            "[con.execute(s).fetchall() for s in sql.split(';') "
            "if any(l.strip() and not l.strip().startswith('--') for l in s.splitlines())]; print('ok')")
    measured = run_measured(timed([python(), "-c", code, str(warehouse), str(ROOT / "bench" / "reference_kpis.sql")]))
    if measured.returncode != 0:
        raise SystemExit(f"reference_kpis.sql failed:\n{measured.stderr[-3000:]}")
    return measured


def increment(work: Path, store: Path, history_start: date | None) -> tuple[float, object]:
    """Pull the next day into ``work`` (a built warehouse, consumed) and build incrementally:
    (pull seconds, build). The fakes stop before the build, as the sources are not on this
    machine in production: on the large org their snapshots spill ~24 GB to disk, which the
    build's own spill needs."""
    night = datetime.combine(END, datetime.min.time(), tzinfo=UTC)
    env = child_env(work, fakes_at(store, night).env, history_start)
    try:
        pull_s, _ = pull_all(env)
        stop_fakes()
        build = dbt_build(env)
    finally:
        remove_database(work)  # a large org's is 21 GB; the next measurement makes its own
    return pull_s, build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default=stack_profile())
    parser.add_argument("--short-history-days", type=int, default=None,
                        help="history of the short warehouse the increment is compared with (default one "
                             "year; 91 days for orgs of a year or less)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.short_history_days is None:
        args.short_history_days = short_history_days(args.profile)
    store, store_reused = org_store(args.profile)
    # The full history pulled (bulk) as of the eve (cached: make bench-data); then the fakes stop.
    raw = raw_warehouse(args.profile)
    stop_fakes()
    log.info("raw warehouse %s: %s", raw.path.name, raw.state)

    # The full build: every model and test from the raw tables alone (a first build).
    work = working_copy(raw.path, "full.duckdb")
    full = dbt_build(child_env(work))
    full_profile = dbt_profile()
    ref = reference(work)
    log.info("full build %.1fs, reference %.1fs", full.seconds, ref.seconds)
    served = bi.measure(work, args.profile)

    # Each night pulls from fakes as of the night, then builds. The long night runs on the full build.
    pull_long, inc_long = increment(work, store, None)
    inc_profile = dbt_profile()
    short = base_warehouse(args.profile, args.short_history_days)
    pull_short, inc_short = increment(working_copy(short.path, "increment-short.duckdb"), store,
                                      short.history_start)
    log.info("increment: long %.1fs (+ pull %.1fs), short %.1fs (+ pull %.1fs)", inc_long.seconds, pull_long,
             inc_short.seconds, pull_short)

    history = f"{args.profile} org ({raw.facts.get('as_of', '')[:10]} eve)"
    benches = [
        Benchmark("full build: dbt build, all models and tests", round(full.seconds, 2),
                  "bench/reference_kpis.sql (headline KPIs by hand, one DuckDB script)", round(ref.seconds, 2),
                  "ratio <= 2", full.seconds <= 2 * ref.seconds, round(full.peak_rss_mb, 1),
                  notes=f"{history}, full history; reference peak RSS {ref.peak_rss_mb:,.0f} MB"),
        Benchmark("nightly increment: one day on full history vs the full build", round(inc_long.seconds, 2),
                  "full dbt build", round(full.seconds, 2), "ratio <= 0.1", inc_long.seconds <= 0.1 * full.seconds,
                  round(inc_long.peak_rss_mb, 1),
                  notes=f"dbt build after the day's pull; the pull itself took {pull_long:.1f}s"),
        Benchmark(f"nightly increment: full history vs {args.short_history_days}-day history",
                  round(inc_long.seconds, 2), f"the same night on {args.short_history_days} days of history",
                  round(inc_short.seconds, 2), "ratio <= 1.2", inc_long.seconds <= 1.2 * inc_short.seconds,
                  round(inc_long.peak_rss_mb, 1),
                  notes=f"pulls {pull_long:.1f}s vs {pull_short:.1f}s"),
    ]
    inputs = {f"org store {store.name}": "reused" if store_reused else "generated by this run",
              f"warehouse {raw.path.name}": raw.state, f"warehouse {short.path.name}": short.state}
    (bench_dir() / "profile-build.json").write_text(json.dumps({"full": full_profile, "increment": inc_profile},
                                                              indent=2) + "\n")
    log.info("dbt profiles: full %s; increment %s", full_profile, inc_profile)
    save([*benches, *served], inputs=inputs)
    for b in [*benches, *served]:
        print(f"{b.name}: ours {b.ours_s:.3f}s vs {b.reference_s:.1f}s -> ratio {b.ratio:.2f} "
              f"(target {b.target}: {'met' if b.met else 'NOT met'})")


if __name__ == "__main__":
    main()

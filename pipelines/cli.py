"""``itops``: the command line of itops-kpi.

Commands run in-process (no Dagster daemon needed) against the warehouse named
by ``ITOPS_WAREHOUSE`` (default ``warehouse/itops.duckdb``).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

from connectors.core.config import PROJECT_ROOT, redact, warehouse_path

log = logging.getLogger("itops.cli")

DEMO_WAREHOUSE = PROJECT_ROOT / "warehouse" / "demo" / "itops.duckdb"


def _load_definitions():
    from pipelines.definitions import build_definitions

    return build_definitions()


def cmd_refresh(args: argparse.Namespace) -> int:
    """Pull every enabled source, build and test the dbt models, publish the snapshot and report."""
    from connectors.registry import CONNECTORS, enabled_sources
    from pipelines.project import dagster_home
    from pipelines.runner import run_refresh

    unknown = set(args.source or []) - set(CONNECTORS)
    if unknown:
        print(f"itops refresh: unknown source(s) {', '.join(sorted(unknown))}; "
              f"known: {', '.join(CONNECTORS)}", file=sys.stderr)
        return 2
    enabled = enabled_sources()
    if not enabled:
        print("itops refresh: no source is configured. Set the credentials of at least one source "
              "(see the Sources table in README.md), or try `itops demo`.", file=sys.stderr)
        return 2
    log.info(f"refresh: sources {', '.join(enabled)}; warehouse {warehouse_path()}")
    dagster_home()
    from dagster import DagsterInstance

    outcome = run_refresh(_load_definitions(), sources=args.source, instance=DagsterInstance.get())
    if not outcome.success:
        where = f" in step {outcome.failed_step}" if outcome.failed_step else ""
        print(f"itops refresh failed{where}: {outcome.error} (run {outcome.run_id})", file=sys.stderr)
        return 1
    log.info(f"refresh: done in {outcome.seconds:.1f}s (run {outcome.run_id})")
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    """Load the history of a range of days (windows already loaded are skipped), then build dbt."""
    from connectors.registry import CONNECTORS, enabled_sources
    from pipelines.backfill import BackfillRangeError, ProgressBar, check_range, plan, run_backfill
    from pipelines.project import dagster_home

    unknown = set(args.source or []) - set(CONNECTORS)
    if unknown:
        print(f"itops backfill: unknown source(s) {', '.join(sorted(unknown))}; known: {', '.join(CONNECTORS)}",
              file=sys.stderr)
        return 2
    enabled = enabled_sources()
    sources = args.source or enabled
    disabled = [s for s in sources if s not in enabled]
    if not sources or disabled:
        what = ", ".join(disabled) if disabled else "no source"
        print(f"itops backfill: {what} is not configured. Set its credentials (see the Sources table in "
              "README.md).", file=sys.stderr)
        return 2
    try:
        check_range(args.start, args.end)
    except BackfillRangeError as exc:
        print(f"itops backfill: {exc}", file=sys.stderr)
        return 2
    todo = plan(sources, args.start, args.end, redo=args.redo)
    days = (args.end - args.start).days
    log.info(f"backfill: {', '.join(todo.streams)} over {days} day(s) [{args.start} .. {args.end}): "
             f"{todo.windows:,} window(s), {todo.already_loaded:,} already loaded"
             + (" (reloading them: --redo)" if args.redo and todo.already_loaded else ""))
    if not args.verbose:
        # One bar instead of a line per window and stream.
        for name in ("itops.connectors", "itops.progress"):
            logging.getLogger(name).setLevel(logging.WARNING)
    dagster_home()
    from dagster import DagsterInstance

    outcome = run_backfill(_load_definitions(), start=args.start, end=args.end, sources=sources,
                           instance=DagsterInstance.get(), redo=args.redo, progress=ProgressBar(todo.windows))
    if not outcome.success:
        where = f" in step {outcome.failed_step}" if outcome.failed_step else ""
        print(f"itops backfill failed{where}: {outcome.error} (run {outcome.run_id}). Windows loaded so far are "
              "kept: rerun the same command to resume.", file=sys.stderr)
        return 1
    log.info(f"backfill: done in {outcome.seconds:.1f}s (run {outcome.run_id})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Last runs and their duration, failing checks, data freshness per source, rows per stream."""
    from pipelines.project import dagster_home
    from pipelines.status import collect, format_status, status_json

    dagster_home()
    from dagster import DagsterInstance

    defs = _load_definitions()
    check_keys = list(defs.resolve_asset_graph().asset_check_keys)
    with DagsterInstance.get() as instance:
        status = collect(instance, warehouse_path(), check_keys, runs=args.runs)
    print(status_json(status) if args.json else format_status(status))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Synthetic org -> fake APIs -> connectors -> DuckDB -> dbt -> KPI summary."""
    from connectors.fakes.suite import start_fakes
    from connectors.synthetic import OrgSpec, ensure_store
    from pipelines.project import dagster_home
    from pipelines.runner import run_refresh
    from pipelines.summary import format_table, kpi_summary

    end = args.end or datetime.now(UTC).date()
    spec = OrgSpec(seed=args.seed, profile=args.profile, end_date=end)
    log.info(f"demo: synthetic organisation '{args.profile}' (seed {args.seed}, history to {end})")
    started = time.monotonic()
    store = ensure_store(spec)
    log.info(f"demo: org store ready ({store.name}, {time.monotonic() - started:.1f}s)")
    db_path = Path(args.warehouse).resolve()
    # The demo always starts from an empty warehouse of its own, never the real one.
    if db_path.exists():
        db_path.unlink()
    for leftover in db_path.parent.glob(db_path.name + ".*"):
        if leftover.is_file():
            leftover.unlink()
    suite = start_fakes(store)
    try:
        log.info("demo: fake APIs on " + ", ".join(f"{n} {a.url}" for n, a in suite.apis.items()))
        os.environ.update(suite.env)
        os.environ["ITOPS_WAREHOUSE"] = str(db_path)
        # The sample spreadsheets fit the synthetic teams; a folder of the user's own wins.
        if "ITOPS_FILES_DIR" not in os.environ:
            from connectors.synthetic.spreadsheets import SAMPLES_DIR

            os.environ["ITOPS_FILES_DIR"] = str(SAMPLES_DIR)
        log.info(f"demo: spreadsheets from {os.environ['ITOPS_FILES_DIR']}")
        dagster_home()
        from dagster import DagsterInstance

        with DagsterInstance.ephemeral() as instance:
            outcome = run_refresh(_load_definitions(), instance=instance)
    finally:
        suite.stop()
        log.info("demo: fake APIs stopped")
    if not outcome.success:
        print(f"itops demo failed in step {outcome.failed_step}: {outcome.error}", file=sys.stderr)
        return 1
    month, rows = kpi_summary(db_path)
    print()
    print(f"Warehouse: {db_path}")
    from pipelines.bi.paths import published_db_path, report_dir

    print(f"Published (read-only, for BI tools): {published_db_path()}")
    print(f"KPI report: {report_dir() / 'index.html'} (or `itops serve`)")
    print(f"Full refresh took {outcome.seconds:.1f}s")
    print()
    print(format_table(month, rows))
    return 0


def cmd_fakes(args: argparse.Namespace) -> int:
    """Serve the fake source APIs until interrupted, printing the environment to use them."""
    from connectors.fakes.suite import start_fakes
    from connectors.synthetic import OrgSpec, ensure_store

    store = ensure_store(OrgSpec(seed=args.seed, profile=args.profile, end_date=args.end))
    suite = start_fakes(store)
    print("# Fake source APIs are up (Ctrl-C to stop). In another shell:")
    for key, value in suite.env.items():
        print(f"export {key}={value}")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        suite.stop()
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    """Write a synthetic org store (the data behind the fakes) to a DuckDB file."""
    from connectors.synthetic import OrgSpec, generate

    path = generate(OrgSpec(seed=args.seed, profile=args.profile, end_date=args.end), Path(args.out))
    print(path)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the static KPI report (report/index.html) from the published snapshot."""
    from pipelines.bi.report import write_report

    written = write_report(out_dir=Path(args.out).resolve() if args.out else None, self_contained=args.self_contained)
    print(f"KPI report: {written.index} ({written.kpis} KPIs, snapshot {written.snapshot_id})")
    print("Open it in a browser, or run `itops serve`.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the KPI report on 127.0.0.1 and link the Dagster UI (optionally starting it)."""
    from pipelines.bi.paths import published_db_path, report_dir
    from pipelines.bi.report import dagster_url, write_report
    from pipelines.bi.serve import dagster_is_up, make_server, serve_forever, start_dagster, stop_process_group

    folder = report_dir()
    if not (folder / "index.html").exists():
        if not published_db_path().exists():
            print(f"itops serve: no report in {folder} and no published snapshot yet: run `itops refresh` "
                  "(or `itops demo`) first.", file=sys.stderr)
            return 2
        write_report()
    server = make_server(folder, "127.0.0.1", args.port)
    dagster = None
    ui = f"http://127.0.0.1:{args.dagster_port}" if args.dagster else dagster_url()
    if args.dagster:
        dagster = start_dagster(args.dagster_port)
    print(f"KPI report:  http://127.0.0.1:{server.server_address[1]}/   ({folder / 'index.html'})")
    if dagster is not None:
        print(f"Dagster UI:  {ui}   (starting `dagster dev`; runs, assets, checks, schedules)")
    elif dagster_is_up(ui):
        print(f"Dagster UI:  {ui}")
    else:
        print(f"Dagster UI:  {ui}   (not running: `make dev`, or `itops serve --dagster`)")
    print("Ctrl-C to stop.")
    sys.stdout.flush()
    # SIGTERM (a service manager, a test) stops the server cleanly. Installed explicitly, and
    # unblocked: a parent that ignores or blocks SIGTERM passes that on to us through exec.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        serve_forever(server, stop)
    except KeyboardInterrupt:
        pass
    finally:
        if dagster is not None:
            stop_process_group(dagster)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="itops",
        description="itops-kpi: ITOps KPIs from ServiceNow, Jira SM, Zendesk, PagerDuty, Harvest and Runn.",
        epilog="Configuration comes from environment variables; see README.md (Sources, Configuration).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    refresh = sub.add_parser("refresh", help=cmd_refresh.__doc__, description=cmd_refresh.__doc__)
    refresh.add_argument("--source", action="append", metavar="NAME",
                         help="only this source (repeatable); dbt models always run")
    refresh.set_defaults(func=cmd_refresh)

    backfill = sub.add_parser("backfill", help=cmd_backfill.__doc__, description=cmd_backfill.__doc__)
    backfill.add_argument("--start", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD",
                          help="first day to load (UTC day windows on each stream's modification stamp)")
    backfill.add_argument("--end", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD",
                          help="day after the last one to load (exclusive), at most today")
    backfill.add_argument("--source", action="append", metavar="NAME",
                          help="only this source (repeatable; default: every enabled source)")
    backfill.add_argument("--redo", action="store_true",
                          help="read windows again even if already loaded (e.g. after fixing data at the source)")
    backfill.set_defaults(func=cmd_backfill)

    status = sub.add_parser("status", help=cmd_status.__doc__, description=cmd_status.__doc__)
    status.add_argument("--runs", type=int, default=10, help="how many recent runs to list (default: 10)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    def org_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--profile", default="small", choices=["tiny", "small", "medium", "large"],
                       help="size of the synthetic organisation (default: small)")
        p.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
        p.add_argument("--end", type=date.fromisoformat, default=None,
                       help="last day of history, exclusive (YYYY-MM-DD; default: today, UTC)")

    demo = sub.add_parser("demo", help=cmd_demo.__doc__, description=cmd_demo.__doc__)
    org_options(demo)
    demo.add_argument("--warehouse", default=str(DEMO_WAREHOUSE),
                      help=f"demo warehouse file, recreated each run (default: {DEMO_WAREHOUSE})")
    demo.set_defaults(func=cmd_demo)

    fakes = sub.add_parser("fakes", help=cmd_fakes.__doc__, description=cmd_fakes.__doc__)
    org_options(fakes)
    fakes.set_defaults(func=cmd_fakes)

    report = sub.add_parser("report", help=cmd_report.__doc__, description=cmd_report.__doc__)
    report.add_argument("--out", metavar="DIR", help="output folder (default: ITOPS_REPORT_DIR, or report/ beside "
                        "the warehouse)")
    report.add_argument("--self-contained", action="store_true",
                        help="inline the chart library: one HTML file to share (about 5 MB)")
    report.set_defaults(func=cmd_report)

    serve = sub.add_parser("serve", help=cmd_serve.__doc__, description=cmd_serve.__doc__)
    serve.add_argument("--port", type=int, default=8000, help="report port on 127.0.0.1 (default: 8000)")
    serve.add_argument("--dagster", action="store_true", help="also start the Dagster UI (dagster dev)")
    serve.add_argument("--dagster-port", type=int, default=3000, help="Dagster UI port (default: 3000)")
    serve.set_defaults(func=cmd_serve)

    generate = sub.add_parser("generate", help=cmd_generate.__doc__, description=cmd_generate.__doc__)
    org_options(generate)
    generate.add_argument("--out", required=True, help="output DuckDB file")
    generate.set_defaults(func=cmd_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pipelines.runner import configure_console_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    configure_console_logging(args.verbose)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("itops: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line, never a traceback, never a secret
        if args.verbose:
            raise
        print(f"itops {args.command}: {redact(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())


"""The warehouses benchmarks 2-5 measure, built once and cached under the bench data dir.

A *raw* warehouse is every source pulled through our connectors from the fakes serving
the org as of the day before the end of its history; a *base* warehouse is that plus a
full ``dbt build``: what production has the evening before a nightly run (cached for the
short history only: the full history's is the full build bench/build.py measures; made
again when dbt_project/ changes).
Benchmarks copy them (the cache is never modified), so a rerun of ``make bench`` reuses
them and measures only what it claims to measure.

The path is the production one (fakes -> connectors -> DuckDB -> dbt), not a shortcut
into the raw tables; only the fakes' page sizes and rate limits differ (bulk mode), so
that the large org's three years load in minutes.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import ROOT, Measured, python, remove_database, run_measured, timed
from connectors.fakes.suite import BULK_MEMORY_LIMIT
from connectors.synthetic import OrgSpec, ensure_store
from connectors.synthetic.profiles import get_profile

log = logging.getLogger("itops.bench")

#: the last day of every bench org's history (exclusive): fixed, so caches stay valid
END = date(2026, 11, 1)
DBT_DIR = ROOT / "dbt_project"
SAMPLES = ROOT / "samples" / "spreadsheets"
SOURCES = ["servicenow", "jira", "zendesk", "pagerduty", "harvest", "runn"]
#: the fake server's snapshots spill to disk past this, bulk or not (it may run beside a dbt build)
FAKE_MEMORY_LIMIT = BULK_MEMORY_LIMIT


def bench_dir() -> Path:
    path = Path(os.environ.get("ITOPS_BENCH_DIR", ROOT / ".itops" / "bench")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def stack_profile() -> str:
    """The org the warehouse benchmarks run on (``ITOPS_BENCH_PROFILE``, default ``large``: the
    issue's enterprise org)."""
    return os.environ.get("ITOPS_BENCH_PROFILE", "large")


def short_history_days(profile: str) -> int:
    """The short history the nightly increment is compared with: one year on orgs of more than a
    year, 91 days otherwise."""
    return 365 if get_profile(profile).months > 12 else 91


def org_store(profile: str) -> tuple[Path, bool]:
    """The org store (generated once); and whether it was reused from the cache."""
    spec = OrgSpec(seed=42, profile=profile, end_date=END)
    path = bench_dir() / f"{spec.key}.duckdb"
    reused = path.exists()
    return ensure_store(spec, bench_dir()), reused


class FakeServer:
    """The fake source APIs over an org store, in their own process, as of ``clock``."""

    def __init__(self, store: Path, clock: datetime, *, bulk: bool = False) -> None:
        self.proc = subprocess.Popen(
            [python(), "-m", "bench.fake_server", "--store", str(store), "--clock", clock.isoformat(),
             # a large org's snapshots outgrow memory: spill them rather than starve a dbt build
             "--memory-limit", FAKE_MEMORY_LIMIT, *(["--bulk"] if bulk else [])],
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )
        self.env: dict[str, str] = json.loads(self.proc.stdout.readline())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


_running: dict[tuple[Path, datetime, bool], FakeServer] = {}


def fakes_at(store: Path, clock: datetime, *, bulk: bool = False) -> FakeServer:
    """The fakes over ``store`` as of ``clock``, shared by every pull at that clock until stopped.

    A large org's fakes spend minutes building their snapshots for a clock (every table as
    of that moment); pulls as of the same moment share them. One fake server runs at a time
    (each holds gigabytes of snapshots)."""
    key = (store, clock, bulk)
    if key not in _running:
        for other in list(_running):
            _running.pop(other).stop()
        _running[key] = FakeServer(store, clock, bulk=bulk)
    return _running[key]


@atexit.register
def stop_fakes() -> None:
    """Stop the shared fake server (before a dbt build: it holds gigabytes of snapshots)."""
    for key in list(_running):
        _running.pop(key).stop()


def child_env(warehouse: Path, fakes: dict[str, str] | None = None, start: date | None = None) -> dict[str, str]:
    env = {**os.environ, **(fakes or {}), "ITOPS_WAREHOUSE": str(warehouse), "PYTHONPATH": str(ROOT),
           "ITOPS_FILES_DIR": str(SAMPLES), "DBT_TARGET_PATH": str(bench_dir() / "dbt-target"),
           "DBT_LOG_PATH": str(bench_dir() / "dbt-logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           # the default 4GB fits one staging model of a million JSON records, not two at once
           "ITOPS_DBT_MEMORY_LIMIT": os.environ.get("ITOPS_DBT_MEMORY_LIMIT", "8GB")}
    if start is not None:
        env["ITOPS_START_DATE"] = start.isoformat()
    return env


def pull_all(env: dict[str, str]) -> tuple[float, dict[str, float]]:
    """Every source's incremental pull (the first one reads from ITOPS_START_DATE): seconds in
    all, and per source."""
    started, per_source = time.monotonic(), {}
    for cmd in [*([python(), "-m", "connectors", "load", source] for source in SOURCES),
                [python(), "-m", "bench.warehouse", "load-files"]]:
        measured = run_measured(timed(cmd), env=env)
        if measured.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[1:])} failed:\n{measured.stdout[-3000:]}\n{measured.stderr[-3000:]}")
        log.info("bench: %s took %.1fs (peak RSS %.0f MB)", " ".join(cmd[-2:]), measured.seconds,
                 measured.peak_rss_mb)
        per_source[cmd[-1]] = round(measured.seconds, 1)
    return time.monotonic() - started, per_source


def load_files() -> None:
    """What the refresh job's spreadsheet asset does: every raw table exists, the sample
    spreadsheets (targets, calendars, budgets) are loaded."""
    from connectors.core.config import warehouse_path
    from connectors.core.warehouse import open_writer
    from connectors.registry import ensure_all_raw_tables
    from connectors.spreadsheets import load_folder

    with open_writer(warehouse_path()) as con:
        ensure_all_raw_tables(con)
        load_folder(con, SAMPLES)


def dbt_build(env: dict[str, str], *extra: str) -> Measured:
    """``dbt build`` of every model and test (what the refresh job runs), under GNU time."""
    dbt = str(Path(python()).with_name("dbt"))
    measured = run_measured(timed([dbt, "build", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
                                   "--quiet", "--no-partial-parse", *extra]), env=env)
    if measured.returncode != 0:
        failures = "\n".join(line for line in measured.stdout.splitlines() if "ERROR" in line or "FAIL" in line)
        # A failing data test is a finding, not a reason to throw the measurement away.
        if "Runtime Error" in measured.stdout or "Compilation Error" in measured.stdout or not failures:
            raise SystemExit(f"dbt build failed:\n{measured.stdout[-4000:]}\n{measured.stderr[-4000:]}")
        log.warning("dbt build: some tests failed:\n%s", failures[-2000:])
    return measured


def dbt_profile(top: int = 10) -> dict:
    """Where the last dbt invocation's time went (its run_results.json): the summed node
    times against the wall time, and the slowest nodes."""
    path = bench_dir() / "dbt-target" / "run_results.json"
    if not path.exists():
        return {}
    results = json.loads(path.read_text())
    nodes = [(r["unique_id"].split(".", 2)[-1], float(r.get("execution_time") or 0)) for r in results["results"]]
    kinds = [r["unique_id"].split(".", 1)[0] for r in results["results"]]
    layers: dict[str, float] = {}
    for (name, seconds), kind in zip(nodes, kinds, strict=True):
        layer = "tests" if kind in ("test", "unit_test") else _LAYERS.get(name.split("_", 1)[0], "other")
        layers[layer] = layers.get(layer, 0.0) + seconds
    return {
        "wall_s": round(float(results.get("elapsed_time") or 0), 1),
        "nodes": len(nodes),
        "node_seconds": round(sum(t for _, t in nodes), 1),
        "test_seconds": round(layers.get("tests", 0.0), 1),
        "by_layer_s": {layer: round(seconds, 1) for layer, seconds in sorted(layers.items(), key=lambda x: -x[1])},
        "slowest": [(n, round(t, 1)) for n, t in sorted(nodes, key=lambda x: -x[1])[:top]],
    }


#: a model's layer by its name's prefix (stg_<source>__, int_, fct_ / dim_, bi_)
_LAYERS = {"stg": "staging", "int": "intermediate", "fct": "marts", "dim": "marts", "bi": "bi"}


@dataclass(frozen=True)
class Cached:
    """A cached warehouse: raw only (``raw-*``: every source pulled) or built (``wh-*``: and
    a full ``dbt build`` on it)."""

    path: Path
    profile: str
    history_start: date | None
    reused: bool
    #: how it was made: pull seconds (per source), build seconds, as of, when
    facts: dict

    @property
    def state(self) -> str:
        """For the results' inputs list: made by this run, or reused (and when it was made)."""
        parts = []
        if "pull_s" in self.facts:
            parts.append(f"{'bulk ' if self.facts.get('bulk') else ''}pull {self.facts['pull_s']}s"
                         + (" (resumed after an interruption)" if self.facts.get("resumed") else ""))
        if "trimmed_from" in self.facts:
            parts.append(f"{self.facts['trimmed_from']} trimmed to this history in {self.facts['trim_s']}s")
        if "build_s" in self.facts:
            parts.append(f"dbt build {self.facts['build_s']}s")
        how = ", ".join(parts) + f", as of {str(self.facts.get('as_of', ''))[:10]} eve"
        if self.reused:
            return f"reused (made {self.facts.get('built_at')}: {how})"
        return f"made by this run ({how})"


def _tag(history_days: int | None) -> str:
    return f"{history_days}d" if history_days else "all"


def dbt_project_digest() -> str:
    """A hash of everything a build's result depends on in dbt_project/ (models, macros, seeds,
    settings): a base warehouse built by other models is not what production would have."""
    digest = hashlib.sha256()
    for file in sorted(DBT_DIR.rglob("*")):
        relative = file.relative_to(DBT_DIR)
        if file.is_file() and relative.parts[0] in ("models", "macros", "seeds", "dbt_project.yml", "profiles.yml"):
            digest.update(str(relative).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _cached(path: Path, profile: str, history_days: int | None, make, *, resume: bool = False,
            digest: str | None = None) -> Cached:
    """``path`` from the cache, else made by ``make(building_path) -> facts`` (built aside, then renamed).

    ``resume``: an interrupted make's leftover is kept and made further (pulls continue from
    their committed cursors, as a rerun after a crash does in production). ``digest``: a
    cached one made with another digest is made again."""
    facts_path = path.with_suffix(".json")
    start = END - timedelta(days=history_days) if history_days else None
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one maker per warehouse; others wait, then reuse it
        if path.exists() and facts_path.exists():
            facts = json.loads(facts_path.read_text())
            if digest is None or facts.get("dbt_project_digest") == digest:
                return Cached(path, profile, start, True, facts)
            log.info("bench: %s was built by other models (dbt_project digest %s, now %s): rebuilding", path.name,
                     facts.get("dbt_project_digest"), digest)
            remove_database(path)
        building = path.with_name(path.stem + ".building.duckdb")
        resumed = resume and building.exists()
        if not resumed:
            remove_database(building)
        facts = {**make(building, start), "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                 **({"resumed": True} if resumed else {}), **({"dbt_project_digest": digest} if digest else {})}
        building.replace(path)
        remove_database(building)  # what the make left beside it (lock, spill folder)
        facts_path.write_text(json.dumps(facts) + "\n")
        return Cached(path, profile, start, False, facts)


def raw_warehouse(profile: str, history_days: int | None = None) -> Cached:
    """Every source pulled as of the day before END (``raw-<profile>-<history>.duckdb``), no models.

    The pull runs the production connectors against the fakes in bulk mode (bigger pages, no
    rate limits; tests/test_fakes_bulk.py shows it lands exactly what vendor-sized pages land):
    at vendor page sizes the large org's history is hours of paging.
    """
    store, _ = org_store(profile)
    eve = datetime.combine(END - timedelta(days=1), datetime.min.time(), tzinfo=UTC)

    def make(building: Path, start: date | None) -> dict:
        if history_days:  # trimmed from the full history (pulled first if not cached)
            full = raw_warehouse(profile)
            started = time.monotonic()
            kept = _trim_history(full.path, building, start)
            return {"trimmed_from": full.path.name, "trim_s": round(time.monotonic() - started, 1),
                    "fact_rows_kept": kept, "as_of": eve.isoformat()}
        log.info("bench: pulling the %s org (%s history) as of %s", profile, _tag(history_days), eve.date())
        fakes = fakes_at(store, eve, bulk=True)
        pull_s, per_source = pull_all(child_env(building, fakes.env, start))
        return {"pull_s": round(pull_s, 1), "pull_per_source_s": per_source, "bulk": True,
                "as_of": eve.isoformat()}

    return _cached(bench_dir() / f"raw-{profile}-{_tag(history_days)}.duckdb", profile, history_days, make,
                   resume=history_days is None)


def _trim_history(full: Path, building: Path, start: date) -> int:
    """The full raw warehouse as a first pull from ``start`` would have left it: reference data
    and bookkeeping whole, fact records only when last modified on or after ``start``.

    Copied into a fresh file rather than deleted in place: deleted rows would still be read by
    every scan, and the short history would pay for the long one. Sources that window their
    first pull by creation date (PagerDuty incidents) or work date (time entries) would have
    read a few records fewer or more than their modification stamp says; the history's length,
    which this benchmark compares, is the same. Returns the fact rows kept."""
    from connectors.core.warehouse import open_writer
    from connectors.registry import CONNECTORS, ensure_all_raw_tables

    facts = {(spec.schema, spec.name) for cls in CONNECTORS.values() for spec in cls.stream_specs()
             if not spec.is_reference and spec.updated_at is not None}
    kept = 0
    log.info("bench: trimming %s to history from %s", full.name, start)
    with open_writer(building) as con:
        ensure_all_raw_tables(con)  # the project's own DDL (keys, defaults), not CREATE TABLE AS
        con.execute(f"attach '{full}' as src (read_only)")
        tables = con.execute("select schema_name, table_name from duckdb_tables() "
                             "where database_name = 'src' order by 1, 2").fetchall()
        for schema, name in tables:
            target = f'"{schema}"."{name}"'
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f"create table if not exists {target} as select * from src.{target} limit 0")
            if (schema, name) in facts:
                con.execute(f"insert into {target} select * from src.{target} where updated_at >= $start",
                            {"start": start})
                kept += con.execute(f"select count(*) from {target}").fetchone()[0]
            else:
                con.execute(f"insert into {target} select * from src.{target}")
    return kept


def base_warehouse(profile: str, history_days: int | None = None) -> Cached:
    """The raw warehouse fully built (``wh-<profile>-<history>.duckdb``): what production has the
    evening before a nightly run."""
    def make(building: Path, start: date | None) -> dict:
        raw = raw_warehouse(profile, history_days)  # only when the base is not cached
        stop_fakes()
        shutil.copyfile(raw.path, building)
        build = dbt_build(child_env(building, start=start))
        return {**raw.facts, "build_s": round(build.seconds, 1)}

    return _cached(bench_dir() / f"wh-{profile}-{_tag(history_days)}.duckdb", profile, history_days, make,
                   digest=dbt_project_digest())


def working_copy(base: Path, name: str) -> Path:
    """A fresh copy of a cached warehouse to measure on (the cache is never modified)."""
    target = bench_dir() / "work" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_database(target)
    shutil.copyfile(base, target)
    return target


def prepare(profile: str) -> None:
    """Every cached input of the warehouse benchmarks (``make bench-data``): the org store, the raw
    warehouses of both histories and the short one built. A one-time cost (on ``large`` about an
    hour: see bench/NOTES.md), kept apart from the benchmarks' own run."""
    store, reused = org_store(profile)
    log.info("org store %s: %s", store.name, "reused" if reused else "generated")
    raw = raw_warehouse(profile)
    log.info("%s: %s", raw.path.name, raw.state)
    stop_fakes()
    short = base_warehouse(profile, short_history_days(profile))  # trims the raw warehouse if not cached
    log.info("%s: %s", short.path.name, short.state)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="bench inputs: load-files (the refresh's spreadsheet step, "
                                     "in a bench pull) or prepare (every cached input of a profile)")
    parser.add_argument("command", choices=["load-files", "prepare"])
    parser.add_argument("--profile", default=stack_profile())
    args = parser.parse_args()
    if args.command == "load-files":
        load_files()
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        prepare(args.profile)

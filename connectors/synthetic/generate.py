"""Build the synthetic organisation into a DuckDB *org store* that the fake APIs serve.

Deterministic: the same (seed, profile, end date) gives byte-identical tables,
whatever the machine. Every random draw comes from numpy Generators spawned from
one SeedSequence in a fixed order; nothing depends on dict/set iteration order,
wall-clock time or hashing seeds. Generation streams month by month, so memory
stays bounded at the ``large`` profile.

Usage::

    python -m connectors.synthetic --profile small --seed 42 --end 2026-11-01 --out org.duckdb
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from connectors.synthetic.calendars import holiday_table
from connectors.synthetic.incidents import generate_changes, generate_incidents
from connectors.synthetic.org import build_org
from connectors.synthetic.profiles import Profile, get_profile
from connectors.synthetic.tickets import TeamDirectory, generate_tickets
from connectors.synthetic.work import generate_assignments, generate_leave, generate_time, time_tracking_tool

GENERATOR_VERSION = "1"
log = logging.getLogger("itops.synthetic")

#: days of planning data (assignments, leave) beyond the end of history, for the 12-week forecast
FORECAST_DAYS = 120


@dataclass(frozen=True)
class OrgSpec:
    seed: int = 42
    profile: str = "small"
    end_date: date | None = None

    def resolved(self) -> OrgSpec:
        return OrgSpec(self.seed, self.profile, self.end_date or datetime.now(UTC).date())

    @property
    def key(self) -> str:
        spec = self.resolved()
        revision = get_profile(spec.profile).revision
        suffix = f"r{revision}" if revision else ""
        return f"org-{spec.profile}-s{spec.seed}-{spec.end_date:%Y%m%d}-v{GENERATOR_VERSION}{suffix}"


def history_start(profile: Profile, end: date) -> date:
    months = pd.Timestamp(end) - pd.DateOffset(months=profile.months)
    return months.date()


def generate(spec: OrgSpec, path: Path) -> Path:
    """Write the org store for ``spec`` to ``path`` (atomically: built aside, then renamed)."""
    spec = spec.resolved()
    profile = get_profile(spec.profile)
    end = spec.end_date
    start = history_start(profile, end)
    horizon = end + timedelta(days=FORECAST_DAYS)
    t0 = time.monotonic()
    seeds = np.random.SeedSequence(spec.seed).spawn(8)
    rngs = [np.random.default_rng(s) for s in seeds]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".building", dir=path.parent)
    os.close(fd)
    os.unlink(tmp_name)
    con = duckdb.connect(tmp_name)
    try:
        con.execute("set TimeZone = 'UTC'")
        org = build_org(rngs[0], profile, start, end)
        holidays = holiday_table(start - timedelta(days=366), horizon + timedelta(days=366))
        org["teams"]["time_tracking"] = time_tracking_tool(org["teams"]).to_numpy()
        for name, frame in org.items():
            _write(con, name, frame)
        _write(con, "holidays", holidays)
        leave = generate_leave(rngs[1], org["people"], start, horizon)
        _write(con, "time_off", leave)
        assignments = generate_assignments(rngs[2], org["people"], org["projects"], end)
        _write(con, "assignments", assignments)
        directory = TeamDirectory(org["teams"], org["people"], holidays)

        n_tickets = 0
        for tickets, events in generate_tickets(rngs[3], org, directory, start, end, profile.tickets):
            _write(con, "tickets", tickets)
            _write(con, "ticket_events", events)
            _write(con, "csat_responses", _csat(rngs[4], tickets, events, profile.csat_rate, end))
            n_tickets += len(tickets)
        incidents, logs = generate_incidents(rngs[5], org, directory, start, end, profile.incidents)
        _write(con, "incidents", incidents)
        _write(con, "incident_log", logs)
        _write(con, "changes", generate_changes(rngs[6], org, directory, start, end, profile.changes))
        n_entries = 0
        for entries, versions in generate_time(rngs[7], org, holidays, leave, assignments, start, end,
                                                   profile.support_entries_mean):
            _write(con, "time_entries", entries)
            _write(con, "time_entry_versions", versions)
            n_entries += len(entries)
        _ensure_empty_tables(con)
        _renumber_csat(con)
        meta = pd.DataFrame([{
            "seed": spec.seed, "profile": spec.profile, "start_date": start, "end_date": end,
            "forecast_end_date": horizon, "generator_version": GENERATOR_VERSION,
        }])
        _write(con, "meta", meta)
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp_name, path)
    log.info("generated %s: %s tickets, %s time entries in %.1fs", spec.key, f"{n_tickets:,}", f"{n_entries:,}",
             time.monotonic() - t0)
    return path


def _csat(
    rng: np.random.Generator, tickets: pd.DataFrame, events: pd.DataFrame, rate: float, end: date
) -> pd.DataFrame:
    """Responses to the survey sent at resolution; slow or reopened tickets score lower."""
    resolves = events[events["event"] == "resolve"].drop_duplicates("ticket_id", keep="first")
    if resolves.empty:
        return pd.DataFrame(columns=["csat_id", "ticket_id", "responded_at", "score", "recommend_score", "comment"])
    opened = tickets.set_index("ticket_id")["opened_at"]
    elapsed = resolves["event_at"].reset_index(drop=True) - opened.loc[resolves["ticket_id"]].reset_index(drop=True)
    hours = elapsed.dt.total_seconds().to_numpy() / 3600
    reopened = resolves["ticket_id"].isin(events.loc[events["event"] == "reopen", "ticket_id"]).to_numpy()
    n = len(resolves)
    responded = rng.random(n) < rate
    quality = 1.2 - 0.25 * np.log1p(hours / 8) - 0.8 * reopened + rng.normal(0, 0.9, n)
    score = np.clip(np.round(3.9 + quality), 1, 5).astype(int)
    recommend = np.clip(np.round(score * 2 + rng.normal(-0.5, 1.2, n)), 0, 10).astype(int)
    has_nps = rng.random(n) < 0.5
    at = (resolves["event_at"] + pd.to_timedelta(np.round(rng.uniform(0.5, 72, n) * 3600), unit="s")).dt.floor("s")
    end_ts = pd.Timestamp(datetime.combine(end, datetime.min.time()), tz="UTC")
    keep = responded & (at < end_ts).to_numpy()
    comments = np.array(["", "Thanks!", "Took too long.", "Quick and friendly.", "Had to chase twice."])
    return pd.DataFrame({
        "csat_id": 0,  # renumbered once all chunks are in, so ids do not depend on chunking
        "ticket_id": resolves["ticket_id"].to_numpy()[keep],
        "responded_at": at.to_numpy()[keep],
        "score": score[keep],
        "recommend_score": pd.array(np.where(has_nps, recommend, -1)[keep], dtype="Int64").astype("Int64"),
        "comment": comments[np.clip(5 - score[keep], 0, 4)],
    }).replace({"recommend_score": {-1: pd.NA}})


def _renumber_csat(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        create or replace table csat_responses as
        select row_number() over (order by responded_at, ticket_id) as csat_id, * exclude (csat_id)
        from csat_responses order by csat_id
    """)


def _write(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register("_frame", frame)
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name = ?", [name]
    ).fetchone()[0]
    if exists:
        con.execute(f'insert into "{name}" by name select * from _frame')
    else:
        # Pin types by naming convention, so an all-null column is still a DATE/TIMESTAMPTZ.
        casts = [f'cast("{c}" as date) as "{c}"' for c in frame.columns if c.endswith("_date")]
        casts += [f'cast("{c}" as timestamptz) as "{c}"' for c in frame.columns if c.endswith("_at")]
        replace = f" replace ({', '.join(casts)})" if casts else ""
        con.execute(f'create table "{name}" as select *{replace} from _frame')
    con.unregister("_frame")


def _ensure_empty_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Tiny profiles can draw zero rows for a table; the fakes still expect it to exist."""
    exists = "select count(*) from information_schema.tables where table_name = 'csat_responses'"
    if not con.execute(exists).fetchone()[0]:
        con.execute("create table csat_responses (csat_id bigint, ticket_id bigint, responded_at timestamptz, "
                    "score bigint, recommend_score bigint, comment varchar)")


def default_cache_dir() -> Path:
    from connectors.core.config import PROJECT_ROOT, env

    return Path(env("ITOPS_CACHE_DIR", str(PROJECT_ROOT / ".itops" / "cache")))


def ensure_store(spec: OrgSpec, cache_dir: Path | None = None) -> Path:
    """The org store for ``spec``, generated once and cached by its key."""
    spec = spec.resolved()
    path = (cache_dir or default_cache_dir()) / f"{spec.key}.duckdb"
    if not path.exists():
        generate(spec, path)
    return path


def content_digest(path: Path) -> dict[str, str]:
    """sha256 of every table's rows in key order: equal digests mean identical data."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        out = {}
        for (table,) in con.execute("select table_name from information_schema.tables order by 1").fetchall():
            digest = hashlib.sha256()
            cursor = con.execute(f'select * from "{table}" order by all')
            while batch := cursor.fetchmany(10_000):
                digest.update(repr(batch).encode())
            out[table] = digest.hexdigest()
        return out
    finally:
        con.close()

"""Data checks beyond dbt's tests: per-stream volume and quarantine, freshness of every mart.

* **volume** (warn): rows landed by a stream's incremental loads on the latest day
  they ran, against the median of its daily totals over the 14 days before. Zero rows,
  or under 20% of that median, warns. The first load (the initial history pull) is left
  out of the baseline. Reference streams (users, groups) change rarely, so for them
  "no rows today" is normal: only an empty table warns.
* **quarantine**: records the stream's latest incremental load set aside
  (``raw_meta.quarantine``). Any warns; more than ``ITOPS_QUARANTINE_ERROR_RATIO``
  (default 5%) of the load is an error (alerted): the source's format probably changed.
* **freshness** (error, alerted): every mart must have been rebuilt within
  ``ITOPS_FRESHNESS_HOURS`` (default 36) hours, or the hours in the model's dbt
  ``meta: {freshness_hours: N}``. A sensor evaluates them between runs, so a nightly
  that silently stopped running is noticed too.
"""


import contextlib
import statistics
import warnings
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb

from connectors.core.config import env, reporting_timezone
from connectors.core.landing import StreamSpec, ensure_raw_table
from connectors.core.warehouse import open_writer
from connectors.registry import CONNECTORS
from pipelines.defs.connectors import stream_key
from pipelines.defs.resources import WarehouseResource

VOLUME_CHECK = "volume"
QUARANTINE_CHECK = "quarantine"
BASELINE_DAYS = 14
MIN_BASELINE_DAYS = 3
LOW_VOLUME_RATIO = 0.2
DEFAULT_FRESHNESS_HOURS = 36.0
FRESHNESS_SENSOR = "mart_freshness_sensor"


@dataclass
class Outcome:
    """A check's verdict, independent of Dagster (the tests call the functions directly)."""

    passed: bool
    description: str
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.WARN
    metadata: dict[str, object] = field(default_factory=dict)

    def result(self, asset_key: dg.AssetKey, check_name: str) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(asset_key=asset_key, check_name=check_name, passed=self.passed,
                                   severity=self.severity, description=self.description, metadata=self.metadata)


# -- volume -----------------------------------------------------------------------------------------


def daily_load_totals(con: duckdb.DuckDBPyConnection, spec: StreamSpec, tz: str) -> tuple[dict[date, int], bool]:
    """Rows landed per day (in ``tz``) by the stream's succeeded incremental loads over the last
    ``BASELINE_DAYS + 1`` days it loaded, without the first ever load; and whether the latest
    day held only that first load."""
    rows = con.execute(
        """with loads as (
               select batch_id, started_at, rows_loaded,
                      row_number() over (order by started_at, batch_id) = 1 as is_first
               from raw_meta.load_runs
               where source = ? and stream = ? and mode = 'incremental' and status = 'succeeded')
           select started_at, rows_loaded, is_first from loads
           where started_at >= (select max(started_at) from loads) - to_days(?)
           order by started_at""",
        [spec.source, spec.name, BASELINE_DAYS + 2],
    ).fetchall()
    zone = ZoneInfo(tz)
    totals: dict[date, int] = defaultdict(int)
    firsts: set[date] = set()
    for started_at, loaded, is_first in rows:
        day = started_at.astimezone(zone).date()
        if is_first:
            firsts.add(day)
            continue
        totals[day] += loaded or 0
    latest = max([*totals, *firsts], default=None)
    only_first = latest is not None and latest in firsts and latest not in totals
    return dict(totals), only_first


def live_rows(con: duckdb.DuckDBPyConnection, spec: StreamSpec) -> int:
    ensure_raw_table(con, spec)
    return con.execute(f"select count(*) from {spec.table} where not _is_deleted").fetchall()[0][0]


def volume_outcome(con: duckdb.DuckDBPyConnection, spec: StreamSpec, tz: str | None = None) -> Outcome:
    tz = tz or reporting_timezone()
    held = live_rows(con, spec)
    if held == 0:
        return Outcome(False, f"{spec.table} holds no rows: the source returned nothing, or no load ran yet",
                       metadata={"live_rows": 0})
    if spec.is_reference:
        return Outcome(True, f"{held:,} rows held (reference data: daily volume is not judged)",
                       metadata={"live_rows": held})
    totals, only_first = daily_load_totals(con, spec, tz)
    if only_first or not totals:
        return Outcome(True, "only the initial load so far; the daily volume is judged from the next load on",
                       metadata={"live_rows": held})
    latest = max(totals)
    rows = totals[latest]
    baseline = [n for day, n in totals.items() if latest - timedelta(days=BASELINE_DAYS) <= day < latest]
    median = statistics.median(baseline) if baseline else None
    metadata: dict[str, object] = {"day": latest.isoformat(), "rows": rows, "live_rows": held,
                                   "baseline_days": len(baseline)}
    if median is not None:
        metadata["median_14d"] = float(median)
    if rows == 0 and (median is None or median > 0):
        return Outcome(False, f"no rows landed on {latest} (14-day median {median or 0:,.0f})", metadata=metadata)
    if median and len(baseline) >= MIN_BASELINE_DAYS and rows < LOW_VOLUME_RATIO * median:
        return Outcome(False, f"{rows:,} rows landed on {latest}, under {LOW_VOLUME_RATIO:.0%} of the "
                              f"14-day median ({median:,.0f})", metadata=metadata)
    return Outcome(True, f"{rows:,} rows landed on {latest}" + (f" (14-day median {median:,.0f})" if median else ""),
                   metadata=metadata)


# -- quarantine -------------------------------------------------------------------------------------


def quarantine_error_ratio() -> float:
    return float(env("ITOPS_QUARANTINE_ERROR_RATIO", "0.05"))


def quarantine_outcome(con: duckdb.DuckDBPyConnection, spec: StreamSpec) -> Outcome:
    latest = con.execute(
        """select batch_id, rows_loaded, rows_quarantined from raw_meta.load_runs
           where source = ? and stream = ? and mode = 'incremental' and status = 'succeeded'
           order by started_at desc limit 1""",
        [spec.source, spec.name],
    ).fetchall()
    (total,) = con.execute("select count(*) from raw_meta.quarantine where source = ? and stream = ?",
                           [spec.source, spec.name]).fetchall()[0]
    if not latest:
        return Outcome(True, "no load yet", metadata={"quarantined_all_time": total})
    batch_id, loaded, quarantined = latest[0]
    loaded, quarantined = loaded or 0, quarantined or 0
    metadata: dict[str, object] = {"batch_id": batch_id, "quarantined": quarantined, "rows_loaded": loaded,
                                   "quarantined_all_time": total}
    if not quarantined:
        return Outcome(True, f"no record quarantined by the latest load ({loaded:,} rows)", metadata=metadata)
    reasons = con.execute(
        """select reason, count(*) from raw_meta.quarantine where batch_id = ?
           group by 1 order by 2 desc, 1 limit 3""", [batch_id]).fetchall()
    metadata["top_reasons"] = "; ".join(f"{n} x {reason[:120]}" for reason, n in reasons)
    ratio = quarantined / max(loaded + quarantined, 1)
    metadata["ratio"] = round(ratio, 4)
    severity = dg.AssetCheckSeverity.ERROR if ratio > quarantine_error_ratio() else dg.AssetCheckSeverity.WARN
    return Outcome(False, f"{quarantined:,} of {loaded + quarantined:,} records quarantined by the latest load "
                          f"({ratio:.1%}; see raw_meta.quarantine, batch {batch_id})",
                   severity=severity, metadata=metadata)


# -- Dagster definitions ----------------------------------------------------------------------------


def build_stream_checks(source: str) -> dg.AssetChecksDefinition:
    streams = {stream_key(source, spec.name): spec for spec in CONNECTORS[source].stream_specs()}
    specs = []
    for key, spec in streams.items():
        specs.append(dg.AssetCheckSpec(VOLUME_CHECK, asset=key, description=(
            "Rows landed on the latest load day vs the 14-day median (warns on zero or < 20%)"
            if not spec.is_reference else "The table holds rows (reference data)")))
        specs.append(dg.AssetCheckSpec(QUARANTINE_CHECK, asset=key, description=(
            "Records the latest load quarantined (warn; error above ITOPS_QUARANTINE_ERROR_RATIO)")))

    @dg.multi_asset_check(name=f"{source}_stream_checks", specs=specs, can_subset=True)
    def _checks(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        checks = OUTCOMES
        with open_writer(warehouse.db_path()) as con:
            for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.to_user_string()):
                spec = streams[check_key.asset_key]
                yield checks[check_key.name](con, spec).result(check_key.asset_key, check_key.name)

    return _checks


OUTCOMES = {VOLUME_CHECK: volume_outcome, QUARANTINE_CHECK: quarantine_outcome}


def stream_checks() -> list[dg.AssetChecksDefinition]:
    return [build_stream_checks(source) for source in CONNECTORS]


def freshness_hours() -> float:
    return float(env("ITOPS_FRESHNESS_HOURS", str(DEFAULT_FRESHNESS_HOURS)))


def mart_freshness_checks(mart_hours: Mapping[dg.AssetKey, float | None]) -> list[dg.AssetChecksDefinition]:
    """Freshness checks (error severity) on every mart, grouped by their allowed age."""
    by_hours: dict[float, list[dg.AssetKey]] = defaultdict(list)
    default = freshness_hours()
    for key, hours in sorted(mart_hours.items(), key=lambda item: item[0].to_user_string()):
        by_hours[float(hours or default)].append(key)
    checks: list[dg.AssetChecksDefinition] = []
    for hours, keys in sorted(by_hours.items()):
        with _superseded_ok():
            checks.extend(dg.build_last_update_freshness_checks(
                assets=keys, lower_bound_delta=timedelta(hours=hours), severity=dg.AssetCheckSeverity.ERROR))
    return checks


def freshness_sensor(checks: Iterable[dg.AssetChecksDefinition]) -> dg.SensorDefinition:
    with _superseded_ok():
        return dg.build_sensor_for_freshness_checks(
            freshness_checks=list(checks), name=FRESHNESS_SENSOR,
            minimum_interval_seconds=int(env("ITOPS_FRESHNESS_SENSOR_SECONDS", "300")),
            default_status=dg.DefaultSensorStatus.RUNNING,
        )


@contextlib.contextmanager
def _superseded_ok() -> Iterator[None]:
    """Dagster marks these factories as superseded by asset FreshnessPolicy objects; we
    keep them because their results are ordinary error-severity check evaluations, which
    the alert sensor posts and ``itops status`` lists like any other check."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield

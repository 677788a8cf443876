"""What the KPI report shows, read from the published snapshot's ``bi`` views.

Everything is driven by the data: the KPIs are the rows of ``bi.kpi_catalog``, their
families those of ``reference.kpi_families`` (a family with no KPI yet is listed as not
measured), the team and service filters the breakdowns present in ``bi.kpi_values``.
A metric added to ``kpi_metrics`` shows up in the report with no change here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

#: Breakdowns the report can filter on (when the data has them), in display order.
FILTER_DIMENSIONS = ("team", "service")
#: How much history the trend charts show.
HISTORY = {"month": 13, "week": 26}
FAMILY_OTHER = {"family": "other", "name": "Other KPIs", "order": 99}


@dataclass(frozen=True)
class ReportData:
    payload: dict[str, Any]

    @property
    def snapshot_id(self) -> str:
        return self.payload["snapshot"].get("snapshot_id", "")

    @property
    def kpi_count(self) -> int:
        return len(self.payload["kpis"])

    def to_json(self) -> str:
        # "</" cannot end the <script> element the JSON is embedded in.
        return json.dumps(self.payload, default=_json_default, separators=(",", ":")).replace("</", "<\\/")


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _relation_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(con.execute(
        """select count(*) from (select schema_name, table_name from duckdb_tables()
                                 union all select schema_name, view_name from duckdb_views())
           where schema_name = ? and table_name = ?""", [schema, name]).fetchall()[0][0])


def _families(con: duckdb.DuckDBPyConnection, catalog: list[dict[str, Any]]) -> list[dict[str, Any]]:
    known: dict[str, dict[str, Any]] = {}
    if _relation_exists(con, "reference", "kpi_families"):
        for row in _rows(con, "select distinct family, family_name, family_order from reference.kpi_families"):
            known[row["family"]] = {"family": row["family"], "name": row["family_name"], "order": row["family_order"]}
    for kpi in catalog:  # families of the data win (and "other" appears only when used)
        known[kpi["family"]] = {"family": kpi["family"], "name": kpi["family_name"], "order": kpi["family_order"]}
    families = sorted(known.values(), key=lambda f: (f["order"], f["name"]))
    for family in families:
        family["kpis"] = [k["metric"] for k in catalog if k["family"] == family["family"]]
    return families


#: One character per status in the embedded series (keeps large organisations' pages small).
STATUS_CODES = {"on_track": "o", "at_risk": "a", "off_track": "x"}


def _series(con: duckdb.DuckDBPyConnection, periods: dict[str, dict[str, Any]],
            forecast_metrics: list[str]) -> dict[str, dict[str, Any]]:
    """Per grain: the period axis, and per metric, dimension and dimension value one dense
    run ``[first axis index, [values], "statuses"]`` (null values are periods without data).

    Dense runs over a shared axis cost a few bytes a point: a 5,000-person organisation with
    60 teams and hundreds of services still embeds a few megabytes, not tens.
    """
    series: dict[str, dict[str, Any]] = {}
    dims = ["all", *FILTER_DIMENSIONS]
    for grain, history in HISTORY.items():
        period = periods.get(grain)
        if not period or period["current_period_start"] is None:
            continue
        step = "month" if grain == "month" else "week"
        rows = con.execute(
            f"""select metric, dimension, dimension_value, period_start, value, status
                from bi.kpi_values
                where grain = ? and dimension in (select unnest(?))
                  and (period_start >= cast(? as date) - interval {history - 1} {step}
                       or metric in (select unnest(?)))
                order by metric, dimension, dimension_value, period_start""",
            [grain, dims, period["current_period_start"], forecast_metrics],
        ).fetchall()
        axis = sorted({row[3] for row in rows})
        index = {start: i for i, start in enumerate(axis)}
        runs: dict[str, dict] = {}
        for metric, dimension, value_key, start, value, status in rows:
            run = runs.setdefault(metric, {}).setdefault(dimension, {}).get(value_key)
            position = index[start]
            if run is None:
                run = [position, [], ""]
                runs[metric][dimension][value_key] = run
            while run[0] + len(run[1]) < position:  # a period without data
                run[1].append(None)
                run[2] += "-"
            run[1].append(None if value is None else round(value, 4))
            run[2] += STATUS_CODES.get(status, "-")
        series[grain] = {"axis": [start.isoformat() for start in axis], "metrics": runs}
    return series


def _filters(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, str]]]:
    filters = {}
    for dimension in FILTER_DIMENSIONS:
        rows = con.execute(
            """select dimension_value, min(dimension_label) from bi.kpi_values
               where dimension = ? and grain in ('week', 'month')
               group by 1 order by (dimension_value = 'unknown'), 2""",
            [dimension],
        ).fetchall()
        if rows:
            filters[dimension] = [{"value": v, "label": label} for v, label in rows]
    return filters


def _freshness(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    if not _relation_exists(con, "bi", "data_freshness"):
        return []
    return _rows(
        con,
        """select
               source,
               count(*) as streams,
               -- a source is as fresh as its stalest stream
               min(last_success_at) as last_success_at,
               max(newest_record_at) as newest_record_at,
               list(stream order by stream) filter (where last_attempt_status <> 'succeeded') as failing_streams,
               max(last_attempt_error) filter (where last_attempt_status <> 'succeeded') as last_error
           from bi.data_freshness
           group by 1 order by 1""",
    )


def load_report_data(db_path: Path, *, dagster_url: str | None = None) -> ReportData:
    """Read everything the report shows from the published snapshot at ``db_path``."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        snapshot = _rows(con, "select * from bi.snapshot_info")[0] if _relation_exists(con, "bi", "snapshot_info") \
            else {}
        periods = {row["grain"]: row for row in _rows(con, "select * from bi.reporting_periods")}
        catalog = _rows(con, "select * from bi.kpi_catalog order by family_order, metric")
        forecast_metrics = [k["metric"] for k in catalog if k["kind"] == "forecast"]
        payload: dict[str, Any] = {
            "snapshot": snapshot,
            "data_as_of": next((p["data_as_of"] for p in periods.values()), None),
            "periods": periods,
            "families": _families(con, catalog),
            "kpis": {k["metric"]: k for k in catalog},
            "filters": _filters(con),
            "series": _series(con, periods, forecast_metrics),
            "freshness": _freshness(con),
            "dagster_url": dagster_url,
        }
    finally:
        con.close()
    return ReportData(payload)

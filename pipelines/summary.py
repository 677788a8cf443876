"""The short KPI table printed after a refresh: the last complete month, organisation-wide."""

from __future__ import annotations

from pathlib import Path

from connectors.core.warehouse import connect

HEADLINE = [
    ("tickets_opened", "Tickets opened"),
    ("tickets_resolved", "Tickets resolved"),
    ("resolution_time_mean_hours", "Resolution time, mean"),
    ("resolution_time_median_hours", "Resolution time, median"),
    ("mttr_hours", "MTTR (incidents), mean"),
    ("mttr_median_hours", "MTTR (incidents), median"),
    ("utilization_pct", "Utilization"),
    ("billable_utilization_pct", "Billable utilization"),
    ("cost_per_ticket", "Cost per resolved ticket"),
]

UNITS = {"hours": "h", "percent": "%", "tickets": ""}


def kpi_summary(db_path: Path) -> tuple[str | None, list[tuple[str, str, str, str]]]:
    """(month label, rows of (KPI, value, target, status)) for the last complete month."""
    con = connect(db_path, read_only=True)
    try:
        row = con.execute(
            """select max(period_start) from marts.kpi_metrics
               where grain = 'month' and dimension = 'all' and metric = 'tickets_opened'"""
        ).fetchone()
        if row is None or row[0] is None:
            return None, []
        latest = row[0]
        # The latest month is usually still running; report the one before it when present.
        # Forecast metrics have future months: only months up to the latest month of tickets count.
        months = [r[0] for r in con.execute(
            """select distinct period_start from marts.kpi_metrics
               where grain = 'month' and dimension = 'all' and period_start <= ?
               order by 1 desc limit 2""", [latest]).fetchall()]
        month = months[1] if len(months) > 1 else latest
        values = {
            metric: (value, unit, target, status)
            for metric, value, unit, target, status in con.execute(
                """select metric, value, unit, target, status from marts.kpi_metrics
                   where grain = 'month' and dimension = 'all' and period_start = ?""",
                [month],
            ).fetchall()
        }
    finally:
        con.close()
    rows = []
    for metric, label in HEADLINE:
        if metric not in values:
            continue
        value, unit, target, status = values[metric]
        suffix = UNITS.get(unit, "")
        shown = "-" if value is None else (f"{value:,.0f}" if unit == "tickets" else f"{value:,.1f}{suffix}")
        rows.append((label, shown, "-" if target is None else f"{target:g}{suffix}", status or "-"))
    return month.strftime("%B %Y"), rows


def format_table(month: str | None, rows: list[tuple[str, str, str, str]]) -> str:
    if not rows:
        return "No KPI rows yet (did the sources return data?)."
    header = ("KPI", "Value", "Target", "Status")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = [f"KPI summary for {month} (all teams)", ""]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) if i < 3 else c.ljust(w)
                               for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    return "\n".join(lines)

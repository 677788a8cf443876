"""The synthetic organisation's spreadsheets: the sample set in ``samples/spreadsheets/``.

Teams are the generator's teams by index (``TEAM_BLUEPRINTS`` names, ``REGIONS`` time
zones, the same rule as :func:`connectors.synthetic.org.build_org`), so the files fit any
profile's first ten teams whatever the seed. Nothing here is random.

``python -m connectors.synthetic.spreadsheets`` rewrites the sample set.
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path

from connectors.core.config import PROJECT_ROOT
from connectors.synthetic.calendars import REGIONS, Region
from connectors.synthetic.org import TEAM_BLUEPRINTS

SAMPLES_DIR = PROJECT_ROOT / "samples" / "spreadsheets"
YEARS = (2025, 2026, 2027)
#: budget per quarter by team kind (people cost, tools, contractors)
QUARTERLY_BUDGET = {"service_desk": 420_000, "security": 310_000, "infrastructure": 260_000, "platform": 240_000}
DEFAULT_QUARTERLY_BUDGET = 200_000


def sample_teams(count: int = len(TEAM_BLUEPRINTS)) -> list[tuple[str, str, Region, float, float, bool]]:
    """(name, kind, region, start hour, end hour, 24x7) of the first ``count`` synthetic teams."""
    teams = []
    for i in range(count):
        name, kind, h0, h1, is_24x7 = TEAM_BLUEPRINTS[i % len(TEAM_BLUEPRINTS)]
        region = REGIONS[i % len(REGIONS)] if i else REGIONS[0]
        teams.append((name, kind, region, h0, h1, is_24x7))
    return teams


def _hhmm(hour: float) -> str:
    return f"{int(hour):02d}:{round((hour % 1) * 60):02d}"


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)


def budgets(teams) -> list[list[object]]:
    rows: list[list[object]] = []
    for year in YEARS:
        growth = 1.04 ** (year - YEARS[0])
        for name, kind, *_ in teams:
            amount = QUARTERLY_BUDGET.get(kind, DEFAULT_QUARTERLY_BUDGET) * growth
            for quarter in range(1, 5):
                rows.append([f"{year}-Q{quarter}", name, None, round(amount, -3), "USD", "Opex: people, tools"])
        # Run budgets of the first teams' standing projects, for the year.
        for name, *_ in teams[:3]:
            rows.append([str(year), None, f"BAU Support - {name}", round(150_000 * growth, -3), "USD",
                         "Ticket handling, charged to the business"])
    return rows


def write_samples(folder: Path = SAMPLES_DIR) -> list[Path]:
    from openpyxl import Workbook

    folder.mkdir(parents=True, exist_ok=True)
    teams = sample_teams()
    written = []

    book = Workbook()
    sheet = book.active
    sheet.title = "budgets"
    sheet.append(["period", "cost_centre", "project", "amount", "currency", "notes"])
    for row in budgets(teams):
        sheet.append(row)
    book.properties.creator = "itops-kpi"
    book.properties.created = book.properties.modified = datetime(2026, 1, 1)
    path = folder / "budgets_2025-2027.xlsx"
    book.save(path)
    written.append(path)

    path = folder / "headcount_partner.csv"
    _write_csv(path, ["email", "full_name", "team", "role", "employment_type", "hours_per_week", "working_days",
                      "start_date", "end_date", "cost_per_hour", "currency"], [
        # An outsourced night shift on the service desk, and part-timers no tool plans.
        ["ana.lima@partner.example", "Ana Lima", teams[0][0], "Service Desk Analyst", "contractor", 37.5, None,
         "2025-01-06", None, 32, "USD"],
        ["joao.pereira@partner.example", "Joao Pereira", teams[0][0], "Service Desk Analyst", "contractor", 37.5,
         None, "2025-01-06", None, 32, "USD"],
        ["mei.chen@partner.example", "Mei Chen", teams[4][0], "Security Analyst", "contractor", 40,
         "mon,tue,wed,thu", "2025-03-03", "2026-06-30", 85, "USD"],
        ["mei.chen@partner.example", "Mei Chen", teams[4][0], "Security Analyst", "contractor", 20,
         "mon,tue", "2026-07-01", None, 85, "USD"],
        ["raj.iyer@partner.example", "Raj Iyer", teams[3][0], "Network Engineer", "contractor", 24,
         "mon,tue,wed", "2025-09-01", None, 60, "USD"],
    ])
    written.append(path)

    path = folder / "kpi_targets.csv"
    _write_csv(path, ["metric", "target", "direction", "at_risk_tolerance_pct", "description"], [
        ["utilization_pct", 75, "higher_is_better", 10, "Sustainable utilisation: 75% of contracted capacity"],
        ["mttr_hours", 6, "lower_is_better", 25, "Major incidents restored within six hours on average"],
    ])
    written.append(path)

    path = folder / "sla_targets.csv"
    targets = [(1, 15, 240, False), (2, 30, 480, False), (3, 240, 1440, True), (4, 480, 2400, True),
               (5, 960, 4800, True)]
    _write_csv(path, ["priority", "metric", "target_minutes", "business_hours", "team"],
               [[p, "response", r, str(b).lower(), None] for p, r, _, b in targets]
               + [[p, "resolution", m, str(b).lower(), None] for p, _, m, b in targets]
               # the service desk promises a faster P3 resolution than the default
               + [[3, "resolution", 960, "true", teams[0][0]]])
    written.append(path)

    path = folder / "business_calendars.csv"
    rows = []
    for name, _, region, h0, h1, is_24x7 in teams:
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun") if is_24x7 else ("mon", "tue", "wed", "thu", "fri")
        start, end = ("00:00", "24:00") if is_24x7 else (_hhmm(h0), _hhmm(h1))
        rows += [[name, region.timezone, day, start, end] for day in days]
    _write_csv(path, ["team", "timezone", "weekday", "start_time", "end_time"], rows)
    written.append(path)

    path = folder / "team_holidays.csv"
    rows = []
    for year in YEARS:
        for name, _, region, *_ in teams:
            # Office closures on top of the public holidays Runn knows: half days before the year end.
            rows.append([name, f"{year}-12-31", "New Year's Eve (office closes at noon)", 4])
            if region.country in ("GB", "DE"):
                rows.append([name, f"{year}-12-24", "Christmas Eve (office closes at noon)", 4])
    _write_csv(path, ["team", "holiday_date", "holiday_name", "hours_off"], rows)
    written.append(path)

    path = folder / "identity_overrides.csv"
    _write_csv(path, ["source", "source_user_id", "canonical_email"], [])
    written.append(path)
    return written


def main() -> int:
    for path in write_samples():
        print(path.relative_to(PROJECT_ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())

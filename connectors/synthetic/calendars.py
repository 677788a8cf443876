"""Regions, working hours and public holidays of the synthetic organisation.

Holiday rules are simplified but real (fixed dates, Easter-relative dates, nth
weekdays, weekend substitution), so business-hours metrics meet the same edge
cases they meet in production: Easter, bank-holiday Mondays, US Thanksgiving.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Region:
    code: str
    timezone: str
    country: str


REGIONS: list[Region] = [
    Region("uk", "Europe/London", "GB"),
    Region("us-east", "America/New_York", "US"),
    Region("de", "Europe/Berlin", "DE"),
    Region("in", "Asia/Kolkata", "IN"),
    Region("us-west", "America/Los_Angeles", "US"),
    Region("au", "Australia/Sydney", "AU"),
]


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """n-th (1-based; -1 = last) ``weekday`` (Mon=0) of a month."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """Weekend holidays move to the next Monday (UK/AU practice; close enough for US)."""
    if day.weekday() == 5:
        return day + timedelta(days=2)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def holidays_for(country: str, year: int) -> list[tuple[date, str]]:
    e = easter(year)
    rules: dict[str, list[tuple[date, str]]] = {
        "GB": [
            (_observed(date(year, 1, 1)), "New Year's Day"),
            (e - timedelta(days=2), "Good Friday"),
            (e + timedelta(days=1), "Easter Monday"),
            (_nth_weekday(year, 5, 0, 1), "Early May bank holiday"),
            (_nth_weekday(year, 5, 0, -1), "Spring bank holiday"),
            (_nth_weekday(year, 8, 0, -1), "Summer bank holiday"),
            (_observed(date(year, 12, 25)), "Christmas Day"),
            (_observed(date(year, 12, 25)) + timedelta(days=1 if date(year, 12, 25).weekday() != 4 else 3),
             "Boxing Day"),
        ],
        "US": [
            (_observed(date(year, 1, 1)), "New Year's Day"),
            (_nth_weekday(year, 1, 0, 3), "Martin Luther King Jr. Day"),
            (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
            (_observed(date(year, 7, 4)), "Independence Day"),
            (_nth_weekday(year, 9, 0, 1), "Labor Day"),
            (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
            (_observed(date(year, 12, 25)), "Christmas Day"),
        ],
        "DE": [
            (date(year, 1, 1), "Neujahr"),
            (e - timedelta(days=2), "Karfreitag"),
            (e + timedelta(days=1), "Ostermontag"),
            (date(year, 5, 1), "Tag der Arbeit"),
            (e + timedelta(days=39), "Christi Himmelfahrt"),
            (e + timedelta(days=50), "Pfingstmontag"),
            (date(year, 10, 3), "Tag der Deutschen Einheit"),
            (date(year, 12, 25), "1. Weihnachtstag"),
            (date(year, 12, 26), "2. Weihnachtstag"),
        ],
        "IN": [
            (date(year, 1, 26), "Republic Day"),
            (date(year, 8, 15), "Independence Day"),
            (date(year, 10, 2), "Gandhi Jayanti"),
            (date(year, 12, 25), "Christmas"),
        ],
        "AU": [
            (_observed(date(year, 1, 1)), "New Year's Day"),
            (_observed(date(year, 1, 26)), "Australia Day"),
            (e - timedelta(days=2), "Good Friday"),
            (e + timedelta(days=1), "Easter Monday"),
            (date(year, 4, 25), "Anzac Day"),
            (_nth_weekday(year, 6, 0, 2), "King's Birthday"),
            (_observed(date(year, 12, 25)), "Christmas Day"),
            (_observed(date(year, 12, 25)) + timedelta(days=1 if date(year, 12, 25).weekday() != 4 else 3),
             "Boxing Day"),
        ],
    }
    return sorted(set(rules[country]))


def holiday_table(start: date, end: date) -> pd.DataFrame:
    """Every region's holidays in ``[start, end)`` (one row per region and day)."""
    rows = []
    for region in REGIONS:
        for year in range(start.year, end.year + 1):
            for day, name in holidays_for(region.country, year):
                if start <= day < end:
                    rows.append((region.code, day, name))
    frame = pd.DataFrame(rows, columns=["region", "holiday_date", "holiday_name"])
    return frame.drop_duplicates(["region", "holiday_date"]).sort_values(["region", "holiday_date"],
                                                                          ignore_index=True)


def push_into_working_hours(
    ts_utc: pd.Series, tz: str, start_hour: float, end_hour: float, holidays: set[date] | None = None,
    is_24x7: bool = False,
) -> pd.Series:
    """Move each instant that falls outside working time to the next working minute.

    Work done by people happens in their working hours (weekdays, local time, not
    on public holidays); this is what makes business-hours KPIs differ from
    calendar ones in the synthetic data, as they do in real data. The arithmetic
    runs on local wall-clock time, so DST changes never shift 09:00 to 08:00.
    """
    if is_24x7 or ts_utc.empty:
        return ts_utc
    local = ts_utc.dt.tz_convert(tz).dt.tz_localize(None)
    day = local.dt.normalize()
    hours = (local - day) / pd.Timedelta(hours=1)
    start = pd.Timedelta(hours=start_hour)
    # Before opening on a day: move to opening time that day. After closing: next day.
    before = hours < start_hour
    after = hours >= end_hour
    day = day.where(~after, day + pd.Timedelta(days=1))
    moved = before | after
    out = local.where(~moved, day + start)
    # Skip weekends and holidays (a few iterations settle every case).
    holiday_days = np.array(sorted(holidays or set()), dtype="datetime64[D]")
    for _ in range(10):
        d = out.dt.normalize()
        off = d.dt.dayofweek >= 5
        if holiday_days.size:
            off |= np.isin(d.values.astype("datetime64[D]"), holiday_days)
        if not off.any():
            break
        out = out.where(~off, d + pd.Timedelta(days=1) + start)
    return out.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")

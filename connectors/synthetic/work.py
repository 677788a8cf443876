"""People's time: leave, project assignments (Runn), and timesheets (Harvest or Runn actuals).

Timesheets are consistent with capacity: people log on the days their contract
rosters them, not on public holidays of their team's region nor on leave; the
total is near their contracted minutes, with missed days and some overtime.
Project assignments drive which projects the time goes to, so scheduled and
actual hours differ the way they do in real planning tools. Some entries are
edited or deleted days later (late timesheet edits), as versions.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from connectors.synthetic.tickets import _td

DOW_COLUMNS = ["works_monday", "works_tuesday", "works_wednesday", "works_thursday", "works_friday"]
TASKS = {
    "strategic": ["Project Work", "Design", "Testing"],
    "support": ["Ticket Handling"],
    "ktlo": ["Maintenance", "Patching"],
}
TASK_NAMES = sorted({t for names in TASKS.values() for t in names})


def time_tracking_tool(teams: pd.DataFrame) -> pd.Series:
    """Most teams track time in Harvest; every fourth team logs actuals in Runn instead."""
    return pd.Series(np.where(teams["team_id"].to_numpy() % 4 == 0, "runn", "harvest"), index=teams.index)


def generate_leave(rng: np.random.Generator, people: pd.DataFrame, start: date, horizon_end: date) -> pd.DataFrame:
    """Annual leave in blocks of 1-10 weekdays (~22 days a year), plus partial days and
    rostered-off days (a 9-day-fortnight for some people)."""
    rows = []
    years = (horizon_end - start).days / 365.25
    for person_id in people["person_id"].to_numpy():
        n_blocks = rng.poisson(5.5 * years)
        begins = rng.integers(0, max((horizon_end - start).days, 1), size=n_blocks)
        lengths = rng.choice([1, 1, 2, 3, 5, 5, 10], size=n_blocks)
        partial = rng.random(n_blocks) < 0.1
        for b, length, half in zip(begins, lengths, partial, strict=True):
            first = start + timedelta(days=int(b))
            rows.append((int(person_id), "leave", first, first + timedelta(days=int(length) - 1),
                         240 if half and length == 1 else None))
    nine_day = people["person_id"].to_numpy()[rng.random(len(people)) < 0.05]
    for person_id in nine_day:
        first_friday = start + timedelta(days=(4 - start.weekday()) % 7)
        day = first_friday
        while day < horizon_end:
            rows.append((int(person_id), "rostered_off", day, day, None))
            day += timedelta(days=14)
    frame = pd.DataFrame(rows, columns=["person_id", "kind", "start_date", "end_date", "minutes_per_day"])
    frame = frame.sort_values(["person_id", "start_date", "kind"], ignore_index=True)
    frame.insert(0, "time_off_id", np.arange(1, len(frame) + 1))
    frame["minutes_per_day"] = frame["minutes_per_day"].astype("Int64")
    return frame


def generate_assignments(
    rng: np.random.Generator, people: pd.DataFrame, projects: pd.DataFrame, end: date
) -> pd.DataFrame:
    """Scheduled work per person (or placeholder) and project; future work may be placeholders."""
    rows = []
    staff = people[~people["is_placeholder"]]
    by_team = {t: g["person_id"].to_numpy() for t, g in staff.groupby("team_id")}
    everyone = staff["person_id"].to_numpy()
    role_of = dict(zip(staff["person_id"], staff["role"], strict=True))
    for project in projects[projects["project_kind"] == "strategic"].itertuples(index=False):
        team_people = by_team.get(project.team_id, everyone)
        k = int(min(len(team_people), rng.integers(2, 7)))
        members = list(rng.choice(team_people, size=k, replace=False))
        if rng.random() < 0.3:
            members.append(int(rng.choice(everyone)))
        p_start, p_end = project.start_date, project.end_date
        for member in members:
            cuts = sorted(rng.choice(np.arange(1, max((p_end - p_start).days, 2)), size=int(rng.integers(0, 3)),
                                     replace=False).tolist()) if (p_end - p_start).days > 10 else []
            bounds = [p_start] + [p_start + timedelta(days=int(c)) for c in cuts] + [p_end + timedelta(days=1)]
            future = p_start >= end - timedelta(days=14)
            placeholder = bool(future and rng.random() < 0.35)
            for a, b in itertools.pairwise(bounds):
                rows.append({
                    "person_id": None if placeholder else int(member),
                    "placeholder_role": role_of[int(member)] if placeholder else None,
                    "project_id": int(project.project_id),
                    "role": role_of[int(member)],
                    "start_date": a,
                    "end_date": b - timedelta(days=1),
                    "minutes_per_day": int(rng.choice([60, 120, 120, 180, 240, 240, 360])),
                    "is_billable": project.pricing_model != "nb",
                    "is_placeholder": placeholder,
                })
    frame = pd.DataFrame(rows)
    frame.insert(0, "assignment_id", np.arange(1, len(frame) + 1))
    frame["person_id"] = frame["person_id"].astype("Int64")
    return frame


def generate_time(
    rng: np.random.Generator,
    org: dict[str, pd.DataFrame],
    holidays: pd.DataFrame,
    leave: pd.DataFrame,
    assignments: pd.DataFrame,
    start: date,
    end: date,
    support_entries_mean: float = 1.0,
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Yield (time_entries, time_entry_versions) a month at a time."""
    people = org["people"][~org["people"]["is_placeholder"]]
    teams = org["teams"].set_index("team_id")
    projects = org["projects"].set_index("project_id")
    tracking = pd.Series(time_tracking_tool(org["teams"]).to_numpy(), index=org["teams"]["team_id"])
    support_project = {
        (int(p.team_id), p.project_kind): int(p.project_id)
        for p in org["projects"].itertuples(index=False) if p.project_kind in ("support", "ktlo")
    }
    contracts = org["contracts"]
    end_ts = pd.Timestamp(datetime.combine(end, datetime.min.time()), tz="UTC")
    holiday_keys = set(zip(holidays["region"], holidays["holiday_date"], strict=True))
    leave_days = _expand_leave(leave)
    live_assign = assignments[~assignments["is_placeholder"]].copy()
    next_id = 1
    for month_start in pd.date_range(start, end, freq="MS", inclusive="left").union([pd.Timestamp(start)]):
        m0 = max(month_start.date(), start)
        m1 = min((month_start + pd.offsets.MonthBegin(1)).date(), end)
        if m0 >= m1:
            continue
        days = pd.date_range(m0, m1, freq="D", inclusive="left")
        grid = pd.MultiIndex.from_product([people["person_id"].to_numpy(), days], names=["person_id", "day"])
        pd_frame = grid.to_frame(index=False)
        pd_frame = pd_frame.merge(people[["person_id", "team_id", "hire_date", "leave_date"]], on="person_id")
        day = pd_frame["day"].dt.date
        employed = (pd_frame["hire_date"] <= day) & (pd_frame["leave_date"].isna() | (day < pd_frame["leave_date"]))
        pd_frame = pd_frame[employed.to_numpy()]
        pd_frame = _attach_contract(pd_frame, contracts)
        dow = pd_frame["day"].dt.dayofweek.to_numpy()
        rostered = np.zeros(len(pd_frame), dtype=bool)
        for i, col in enumerate(DOW_COLUMNS):
            rostered |= (dow == i) & pd_frame[col].to_numpy(dtype=bool)
        region = teams.loc[pd_frame["team_id"].to_numpy(), "region"].to_numpy()
        is_holiday = np.array([(r, d) in holiday_keys for r, d in zip(region, pd_frame["day"].dt.date, strict=True)],
                              dtype=bool)
        off_minutes = pd_frame.set_index(["person_id", "day"]).index.map(leave_days).to_numpy(dtype=float)
        off_minutes = np.nan_to_num(off_minutes, nan=0.0)
        available = np.maximum(pd_frame["minutes_per_day"].to_numpy() - off_minutes, 0)
        works = rostered & ~is_holiday & (available > 0)
        pd_frame = pd_frame[works].reset_index(drop=True)
        available = available[works]
        n = len(pd_frame)
        if n == 0:
            continue
        factor = rng.uniform(0.85, 1.03, n)
        factor = np.where(rng.random(n) < 0.08, rng.uniform(1.1, 1.35, n), factor)
        factor = np.where(rng.random(n) < 0.04, 0.0, factor)  # forgot to log that day
        total_min = available * factor
        pd_frame["total_min"] = total_min
        pd_frame["row"] = np.arange(n)

        # Strategic work where the person is assigned that day.
        a = live_assign.merge(pd_frame[["person_id", "day", "row", "total_min"]], on="person_id")
        a = a[(a["start_date"] <= a["day"].dt.date) & (a["day"].dt.date <= a["end_date"])]
        a = a[a["total_min"] > 0]
        planned = a["minutes_per_day"].to_numpy() * rng.uniform(0.7, 1.15, len(a))
        a = a.assign(minutes=planned)
        strategic_sum = a.groupby("row")["minutes"].sum().reindex(range(n), fill_value=0.0).to_numpy()
        scale = np.where(strategic_sum > 0.9 * total_min, 0.9 * total_min / np.maximum(strategic_sum, 1e-9), 1.0)
        a["minutes"] = a["minutes"].to_numpy() * scale[a["row"].to_numpy()]
        remainder = np.maximum(total_min - np.minimum(strategic_sum, 0.9 * total_min), 0)
        kind = teams.loc[pd_frame["team_id"].to_numpy(), "team_kind"].to_numpy()
        support_share = np.where(kind == "service_desk", 0.85, np.where(kind == "security", 0.5, 0.35))
        support_share = np.clip(support_share + rng.normal(0, 0.08, n), 0.05, 0.95)
        team_ids = pd_frame["team_id"].to_numpy()
        parts = [
            pd.DataFrame({"row": a["row"].to_numpy(), "project_id": a["project_id"].to_numpy(),
                          "minutes": a["minutes"].to_numpy()}),
            _support_entries(rng, n, [support_project[(int(t), "support")] for t in team_ids],
                             remainder * support_share, support_entries_mean),
            pd.DataFrame({"row": np.arange(n), "project_id": [support_project[(int(t), "ktlo")] for t in team_ids],
                          "minutes": remainder * (1 - support_share)}),
        ]
        entries = pd.concat(parts, ignore_index=True)
        entries["hours"] = np.round(entries["minutes"].to_numpy() / 15.0) / 4.0
        entries = entries[entries["hours"] > 0].sort_values(["row", "project_id"], kind="stable", ignore_index=True)
        base = pd_frame.iloc[entries["row"].to_numpy()].reset_index(drop=True)
        m = len(entries)
        project_kind = projects.loc[entries["project_id"].to_numpy(), "project_kind"].to_numpy()
        task = np.array([TASKS[k][int(rng.integers(0, len(TASKS[k])))] for k in project_kind])
        billable = projects.loc[entries["project_id"].to_numpy(), "pricing_model"].to_numpy() != "nb"
        local_tz = teams.loc[base["team_id"].to_numpy(), "timezone"].to_numpy()
        # Logged at the end of the day, sometimes days later (weekly timesheet habits).
        lag_h = 9 + rng.uniform(0, 2, m) + np.where(rng.random(m) < 0.3, rng.exponential(48, m), 0)
        created = pd.Series(pd.NaT, index=range(m), dtype="datetime64[ns, UTC]")
        for tz in np.unique(local_tz):
            sel = local_tz == tz
            created[sel] = (base["day"][sel] + pd.Timedelta(hours=8)).dt.tz_localize(
                tz, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
        created = (created + _td(lag_h)).dt.floor("s")
        ids = np.arange(next_id, next_id + m)
        next_id += m
        frame = pd.DataFrame({
            "time_entry_id": ids,
            "person_id": base["person_id"].to_numpy(),
            "team_id": base["team_id"].to_numpy(),
            "project_id": entries["project_id"].to_numpy(),
            "task": task,
            "spent_date": base["day"].dt.date.to_numpy(),
            "hours": entries["hours"].to_numpy(),
            "is_billable": billable,
            "cost_rate": base["cost_per_hour"].to_numpy(),
            "billable_rate": np.where(billable, base["billable_rate"].to_numpy(), np.nan),
            "tracked_in": tracking.loc[base["team_id"].to_numpy()].to_numpy(),
            "notes": [f"{t} ({k})" for t, k in zip(task, project_kind, strict=True)],
            "created_at": created,
        })
        frame = frame[frame["created_at"] < end_ts].reset_index(drop=True)
        yield frame, _versions(rng, frame, end_ts)


def _support_entries(rng: np.random.Generator, n: int, project_ids: list[int], minutes: np.ndarray,
                     mean: float) -> pd.DataFrame:
    """Each person-day's support time as one entry, or (``mean`` > 1) as 1 + Poisson(mean - 1)
    entries of equal share (capped at 6). With ``mean`` == 1 nothing is drawn, so profiles
    that log one support entry a day keep their exact output."""
    rows = np.arange(n)
    if mean <= 1.0:
        return pd.DataFrame({"row": rows, "project_id": project_ids, "minutes": minutes})
    count = np.minimum(1 + rng.poisson(mean - 1.0, n), 6)
    rep = np.repeat(rows, count)
    return pd.DataFrame({"row": rep, "project_id": np.repeat(np.asarray(project_ids), count),
                         "minutes": np.repeat(minutes / count, count)})


def _versions(rng: np.random.Generator, entries: pd.DataFrame, end_ts: pd.Timestamp) -> pd.DataFrame:
    """Version 0 is the entry as first logged; some are edited or deleted days later."""
    m = len(entries)
    v0 = pd.DataFrame({"time_entry_id": entries["time_entry_id"], "version_at": entries["created_at"],
                       "hours": entries["hours"], "is_deleted": False})
    edited = rng.random(m) < 0.03
    deleted = rng.random(m) < 0.005
    edit = pd.DataFrame({
        "time_entry_id": entries["time_entry_id"][edited],
        "version_at": (entries["created_at"][edited] + _td(rng.uniform(24, 240, int(edited.sum())))).dt.floor("s"),
        "hours": np.maximum(entries["hours"][edited] + rng.choice([-1.0, -0.5, 0.5, 1.0, 2.0], int(edited.sum())),
                            0.25),
        "is_deleted": False,
    })
    gone = pd.DataFrame({
        "time_entry_id": entries["time_entry_id"][deleted],
        "version_at": (entries["created_at"][deleted] + _td(rng.uniform(24, 360, int(deleted.sum())))).dt.floor("s"),
        "hours": entries["hours"][deleted],
        "is_deleted": True,
    })
    versions = pd.concat([v0, edit, gone], ignore_index=True)
    versions = versions[versions["version_at"] < end_ts]
    return versions.sort_values(["time_entry_id", "version_at", "is_deleted"], kind="stable", ignore_index=True)


def _attach_contract(frame: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    merged = frame.merge(contracts.drop(columns=["employment_type", "job_title"]), on="person_id")
    day = merged["day"].dt.date
    live = (merged["start_date"] <= day) & (merged["end_date"].isna() | (day <= merged["end_date"]))
    merged = merged[live.to_numpy()]
    return merged.drop_duplicates(["person_id", "day"], keep="last").reset_index(drop=True)


def _expand_leave(leave: pd.DataFrame) -> dict[tuple[int, pd.Timestamp], float]:
    """(person, day) -> minutes off (a full day counts as 24h, i.e. everything)."""
    out: dict[tuple[int, pd.Timestamp], float] = {}
    for row in leave.itertuples(index=False):
        minutes = 24 * 60.0 if pd.isna(row.minutes_per_day) else float(row.minutes_per_day)
        for day in pd.date_range(row.start_date, row.end_date, freq="D"):
            key = (int(row.person_id), day)
            out[key] = max(out.get(key, 0.0), minutes)
    return out

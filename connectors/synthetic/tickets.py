"""Tickets (ServiceNow / Jira Service Management / Zendesk) and their full history.

A ticket's life is generated as *events*; each event row carries the complete
ticket state after it, so any source's "record as of time T" is simply the last
event at or before T. That is how the fake APIs serve late updates, reopens and
deletes for incremental tests.

Shapes follow what real service desks show (see the UCI ServiceNow log stats in
source-apis.md section 8): weekday/hour seasonality, a priority mix dominated by
P3/P4, long-tailed lognormal resolution times, ~45% reassigned at least once,
a few percent reopened, work happening inside each team's working hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import numpy as np
import pandas as pd

from connectors.synthetic.calendars import push_into_working_hours

PRIORITY_P = np.array([0.012, 0.05, 0.55, 0.34, 0.048])
#: median hours of work from first response to resolution, per priority 1..5
RESOLVE_MEDIAN_H = np.array([1.0, 2.5, 4.0, 10.0, 30.0])
RESPOND_MEDIAN_H = np.array([0.08, 0.3, 1.0, 2.0, 4.0])
DOW_FACTOR = np.array([1.25, 1.15, 1.1, 1.05, 0.9, 0.12, 0.08])
#: requester-local arrival hour profile (0..23)
HOUR_PROFILE = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4.0, 6.5, 7.0, 6.0, 4.5, 5.5, 6.5, 6.0,
                         5.0, 3.5, 2.0, 1.2, 0.8, 0.6, 0.4, 0.3])
STATUS_ORDER = {"create": 0, "respond": 1, "reprioritize": 2, "reassign": 3, "hold": 4, "resume": 5,
                "resolve": 6, "reopen": 7, "close": 8, "cancel": 9, "delete": 10}
SOURCES = np.array(["servicenow", "jira", "zendesk"])
SOURCE_P_INCIDENT = np.array([0.75, 0.15, 0.10])
SOURCE_P_REQUEST = np.array([0.0, 0.6, 0.4])
CHANNELS = np.array(["phone", "email", "self-service", "chat", "walk-in"])
CHANNEL_P = np.array([0.3, 0.3, 0.25, 0.1, 0.05])
CATEGORIES = np.array(["hardware", "software", "network", "access", "inquiry", "database"])

EVENT_COLUMNS = [
    "ticket_id", "seq", "event_at", "event", "status", "priority", "team_id", "assignee_id",
    "reassignment_count", "reopen_count", "first_response_at", "resolved_at", "closed_at", "is_deleted",
]


def _hours(rng: np.random.Generator, median: np.ndarray | float, sigma: float, size: int) -> np.ndarray:
    return np.exp(np.log(median) + sigma * rng.standard_normal(size))


def _td(hours: np.ndarray) -> pd.TimedeltaIndex:
    return pd.to_timedelta(np.round(np.asarray(hours, dtype=float) * 3600.0), unit="s")


class TeamDirectory:
    """Fast vectorised 'pick a member of team t' and per-team calendars."""

    def __init__(self, teams: pd.DataFrame, people: pd.DataFrame, holidays: pd.DataFrame) -> None:
        self.teams = teams.set_index("team_id")
        staff = people[~people["is_placeholder"]].sort_values(["team_id", "person_id"])
        max_team = int(teams["team_id"].max())
        # members[offsets[t] : offsets[t] + counts[t]] are team t's people.
        self.counts = staff.groupby("team_id").size().reindex(range(max_team + 1), fill_value=0).to_numpy()
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)
        self.members = staff["person_id"].to_numpy()
        self.holidays = {
            region: set(group["holiday_date"]) for region, group in holidays.groupby("region")
        }

    def pick(self, rng: np.random.Generator, team_ids: np.ndarray) -> np.ndarray:
        team_ids = np.asarray(team_ids, dtype=np.int64)
        counts = self.counts[team_ids]
        idx = self.offsets[team_ids] + np.floor(rng.random(len(team_ids)) * np.maximum(counts, 1)).astype(np.int64)
        return np.where(counts > 0, self.members[np.minimum(idx, len(self.members) - 1)], 0)

    def push(self, ts: pd.Series, team_ids: np.ndarray, rng: np.random.Generator) -> pd.Series:
        """Move instants into each team's working time; moved ones get a little jitter."""
        out = ts.copy()
        team_ids = np.asarray(team_ids)
        for team_id in np.unique(team_ids):
            mask = team_ids == team_id
            team = self.teams.loc[int(team_id)]
            pushed = push_into_working_hours(
                ts[mask], team["timezone"], team["workday_start_hour"], team["workday_end_hour"],
                self.holidays.get(team["region"]), bool(team["is_24x7"]),
            )
            out[mask] = pushed
        moved = (out != ts).to_numpy()
        jitter = _td(rng.exponential(0.3, size=len(ts)))
        return out.where(~moved, out + jitter)


def daily_counts(rng: np.random.Generator, start: date, end: date, total: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
    days = pd.date_range(start, end, freq="D", inclusive="left")
    season = 1.0 + 0.12 * np.cos((days.month.to_numpy() - 1) / 12 * 2 * np.pi)  # busier in winter
    growth = np.linspace(0.92, 1.08, len(days))
    weights = DOW_FACTOR[days.dayofweek.to_numpy()] * season * growth
    expected = total * weights / weights.sum()
    return days, rng.poisson(expected)


def generate_tickets(
    rng: np.random.Generator,
    org: dict[str, pd.DataFrame],
    directory: TeamDirectory,
    start: date,
    end: date,
    total: int,
    first_ticket_id: int = 1,
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Yield (tickets, events) one month at a time; memory stays bounded at any volume."""
    days, counts = daily_counts(rng, start, end, total)
    end_ts = pd.Timestamp(datetime.combine(end, datetime.min.time()), tz="UTC")
    services = org["services"]
    service_w = np.where(services["tier"].to_numpy() == 1, 3.0, 1.0)
    service_w = service_w / service_w.sum()
    requesters = org["requesters"]
    region_tz = {r: tz for r, tz in org["teams"][["region", "timezone"]].itertuples(index=False)}
    from connectors.synthetic.calendars import REGIONS

    region_tz.update({r.code: r.timezone for r in REGIONS})
    service_desk = int(org["teams"].loc[org["teams"]["team_kind"] == "service_desk", "team_id"].min())
    team_ids = org["teams"]["team_id"].to_numpy()
    next_id = first_ticket_id
    months = pd.Series(days).dt.to_period("M")
    for period in months.unique():
        sel = (months == period).to_numpy()
        n = int(counts[sel].sum())
        if n == 0:
            continue
        day_of = np.repeat(days[sel].to_numpy(), counts[sel])
        hour = rng.choice(24, size=n, p=HOUR_PROFILE / HOUR_PROFILE.sum())
        local = pd.Series(day_of) + _td(hour + rng.random(n))
        req = rng.integers(1, len(requesters) + 1, size=n)
        req_region = requesters["region"].to_numpy()[req - 1]
        opened = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
        for region in np.unique(req_region):
            m = req_region == region
            opened[m] = (local[m].dt.tz_localize(region_tz[region], ambiguous="NaT", nonexistent="shift_forward")
                         .dt.tz_convert("UTC"))
        opened = opened.fillna(pd.Series(local).dt.tz_localize("UTC")).dt.floor("s")
        order = np.argsort(opened.to_numpy(), kind="stable")
        opened = opened.iloc[order].reset_index(drop=True)
        req = req[order]

        ticket_type = np.where(rng.random(n) < 0.6, "incident", "service_request")
        priority = rng.choice(5, size=n, p=PRIORITY_P) + 1
        priority = np.where(ticket_type == "service_request", np.maximum(priority, 3), priority)
        service = rng.choice(services["service_id"].to_numpy(), size=n, p=service_w)
        service_team = services["team_id"].to_numpy()[service - 1]
        first_line = rng.random(n) < 0.55
        team0 = np.where(first_line, service_desk, service_team)
        # First-line fixes: quick, no reassignment (the FCR population).
        fcr = first_line & (priority >= 3) & (rng.random(n) < 0.45)
        team_final = np.where(fcr, team0, service_team)
        ids = np.arange(next_id, next_id + n)
        next_id += n

        respond = directory.push(opened + _td(_hours(rng, RESPOND_MEDIAN_H[priority - 1], 1.0, n)), team0, rng)
        assignee0 = directory.pick(rng, team0)
        reassign1 = team0 != team_final
        reassign1_at = directory.push(respond + _td(_hours(rng, 1.0, 1.0, n)), team0, rng)
        assignee1 = directory.pick(rng, team_final)
        ping = ~fcr & (rng.random(n) < 0.12)
        other_team = rng.choice(team_ids, size=n)
        ping_at = directory.push(reassign1_at + _td(_hours(rng, 3.0, 1.0, n)), team_final, rng)
        ping_assignee = directory.pick(rng, other_team)
        back_at = directory.push(ping_at + _td(_hours(rng, 4.0, 1.0, n)), other_team, rng)
        back_assignee = directory.pick(rng, team_final)
        work_start = respond.where(~reassign1, reassign1_at)
        work_start = work_start.where(~ping, back_at)

        hold = (priority > 1) & (rng.random(n) < 0.2)
        hold_at = directory.push(work_start + _td(_hours(rng, 2.0, 1.0, n)), team_final, rng)
        resume_at = hold_at + _td(_hours(rng, 20.0, 1.2, n))  # the requester answers any time
        busy_from = work_start.where(~hold, resume_at)
        work_h = np.where(fcr, _hours(rng, 0.4, 0.8, n), _hours(rng, RESOLVE_MEDIAN_H[priority - 1], 1.3, n))
        resolve_at = directory.push(busy_from + _td(work_h), team_final, rng)

        reopen = rng.random(n) < np.where(work_h < 2, 0.05, 0.025)
        reopen_at = resolve_at + _td(rng.uniform(2, 120, n))
        resolve2_at = directory.push(reopen_at + _td(_hours(rng, 6.0, 1.0, n)), team_final, rng)
        final_resolve = resolve_at.where(~reopen, resolve2_at)
        close_at = final_resolve + _td(72 + rng.uniform(0, 2, n))
        cancel = (rng.random(n) < 0.02) & ~fcr
        cancel_at = respond + _td(_hours(rng, 8.0, 1.0, n))
        reprio = rng.random(n) < 0.06
        new_priority = np.clip(priority + rng.choice([-1, 1], size=n), 1, 5)
        delete = rng.random(n) < 0.002
        delete_at = close_at.where(~cancel, cancel_at) + _td(rng.uniform(24, 480, n))

        tickets = pd.DataFrame({
            "ticket_id": ids,
            # Incidents live mostly in ServiceNow; requests in Jira SM and Zendesk.
            "source": np.where(ticket_type == "incident", rng.choice(SOURCES, size=n, p=SOURCE_P_INCIDENT),
                               rng.choice(SOURCES, size=n, p=SOURCE_P_REQUEST)),
            "ticket_type": ticket_type,
            "service_id": service,
            "requester_id": req,
            "channel": rng.choice(CHANNELS, size=n, p=CHANNEL_P),
            "category": rng.choice(CATEGORIES, size=n),
            "opened_at": opened,
            "initial_priority": priority,
            "short_description": [f"{c.title()} issue with service {s}" for c, s in
                                  zip(rng.choice(CATEGORIES, size=n), service, strict=True)],
        })

        live = ~cancel
        parts = [
            _ev(ids, opened, "create", status="new", priority=priority, team_id=team0),
            _ev(ids, respond, "respond", status="in_progress", assignee_id=assignee0, first_response=True),
            _ev(ids[reprio], respond[reprio] + pd.Timedelta(seconds=60), "reprioritize", status=None,
                priority=new_priority[reprio]),
            _ev(ids[reassign1 & live], reassign1_at[reassign1 & live], "reassign", team_id=team_final[reassign1 & live],
                assignee_id=assignee1[reassign1 & live]),
            _ev(ids[ping & live], ping_at[ping & live], "reassign", team_id=other_team[ping & live],
                assignee_id=ping_assignee[ping & live]),
            _ev(ids[ping & live], back_at[ping & live], "reassign", team_id=team_final[ping & live],
                assignee_id=back_assignee[ping & live]),
            _ev(ids[hold & live], hold_at[hold & live], "hold", status="on_hold"),
            _ev(ids[hold & live], resume_at[hold & live], "resume", status="in_progress"),
            _ev(ids[live], resolve_at[live], "resolve", status="resolved"),
            _ev(ids[reopen & live], reopen_at[reopen & live], "reopen", status="in_progress"),
            _ev(ids[reopen & live], resolve2_at[reopen & live], "resolve", status="resolved"),
            _ev(ids[live], close_at[live], "close", status="closed"),
            _ev(ids[cancel], cancel_at[cancel], "cancel", status="canceled"),
            _ev(ids[delete], delete_at[delete], "delete"),
        ]
        events = _fold(pd.concat(parts, ignore_index=True), end_ts)
        yield tickets, events


def _ev(ids, at, event, *, status=None, priority=None, team_id=None, assignee_id=None,
        first_response=False) -> pd.DataFrame:
    n = len(ids)
    frame = pd.DataFrame({
        "ticket_id": np.asarray(ids),
        "event_at": pd.Series(at).reset_index(drop=True).dt.floor("s"),
        "event": event,
        "status": status if status is not None else None,
        "priority": np.asarray(priority, dtype=float) if priority is not None else np.nan,
        "team_id": np.asarray(team_id, dtype=float) if team_id is not None else np.nan,
        "assignee_id": np.asarray(assignee_id, dtype=float) if assignee_id is not None else np.nan,
    }, index=range(n))
    frame["first_response"] = first_response
    return frame


def _fold(events: pd.DataFrame, end_ts: pd.Timestamp) -> pd.DataFrame:
    """Sort events and carry the ticket state forward so each row is a full version."""
    events = events[events["event_at"] < end_ts].copy()
    events["order"] = events["event"].map(STATUS_ORDER)
    events = events.sort_values(["ticket_id", "event_at", "order"], kind="stable", ignore_index=True)
    g = events.groupby("ticket_id", sort=False)
    events["seq"] = g.cumcount()
    for col in ("status", "priority", "team_id", "assignee_id"):
        events[col] = g[col].ffill()
    by_ticket = events["ticket_id"]
    events["reassignment_count"] = (events["event"] == "reassign").astype(np.int64).groupby(by_ticket).cumsum()
    events["reopen_count"] = (events["event"] == "reopen").astype(np.int64).groupby(by_ticket).cumsum()
    events["first_response_at"] = events["event_at"].where(events["first_response"]).groupby(by_ticket).ffill()
    # resolved_at is cleared by a reopen: mark reopen rows with a sentinel, carry forward, then blank it.
    sentinel = pd.Timestamp("1970-01-01", tz="UTC")
    resolved = events["event_at"].where(events["event"] == "resolve")
    resolved = resolved.where(events["event"] != "reopen", sentinel)
    resolved = resolved.groupby(events["ticket_id"]).ffill()
    events["resolved_at"] = resolved.where(resolved != sentinel)
    events["closed_at"] = events["event_at"].where(events["event"].isin(["close", "cancel"])).groupby(
        events["ticket_id"]).ffill()
    events["is_deleted"] = (events["event"] == "delete").groupby(events["ticket_id"]).cummax()
    events["priority"] = events["priority"].astype("Int64")
    events["team_id"] = events["team_id"].astype("Int64")
    events["assignee_id"] = events["assignee_id"].astype("Int64")
    return events[EVENT_COLUMNS]

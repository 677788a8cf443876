"""On-call incidents (PagerDuty) with their log entries, and change requests.

Incidents arrive around the clock (alerts do not keep office hours), get
acknowledged by the on-call person in minutes (or escalate when nobody answers),
and resolve with a long tail. Majors (P1/P2) carry the outage minutes behind
availability; some are caused by changes, which is what change failure rate counts.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from connectors.synthetic.tickets import TeamDirectory, _hours, _td, daily_counts

LOG_ORDER = {"trigger": 0, "assign": 1, "escalate": 2, "acknowledge": 3, "annotate": 4, "resolve": 5}


def generate_incidents(
    rng: np.random.Generator, org: dict[str, pd.DataFrame], directory: TeamDirectory, start: date, end: date,
    total: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    days, counts = daily_counts(rng, start, end, total)
    # Alerts are far less weekday-driven than tickets: flatten the weekly shape.
    counts = rng.poisson(np.full(len(days), max(total, 1) / max(len(days), 1)) * 0.6 + counts * 0.4)
    n = int(counts.sum())
    end_ts = pd.Timestamp(datetime.combine(end, datetime.min.time()), tz="UTC")
    created = (pd.Series(np.repeat(days.to_numpy(), counts)).dt.tz_localize("UTC")
               + _td(rng.uniform(0, 24, n))).dt.floor("s")
    created = created.sort_values(ignore_index=True)
    services = org["services"]
    teams = org["teams"].set_index("team_id")
    weights = np.where(services["tier"].to_numpy() == 1, 2.5, 1.0)
    service = rng.choice(services["service_id"].to_numpy(), size=n, p=weights / weights.sum())
    team = services["team_id"].to_numpy()[service - 1]
    urgency = np.where(rng.random(n) < 0.4, "high", "low")
    priority = np.where(urgency == "high", rng.choice([1, 2, 3], size=n, p=[0.12, 0.38, 0.5]),
                        rng.choice([3, 4, 5], size=n, p=[0.3, 0.5, 0.2]))
    is_security = teams.loc[team, "team_kind"].to_numpy() == "security"
    escalated = rng.random(n) < 0.15
    never_acked = rng.random(n) < 0.04
    ack_med = np.where(urgency == "high", 3.0, 25.0) / 60.0
    escalate_at = created + _td(np.where(urgency == "high", 5.0, 30.0) / 60.0 + rng.uniform(0, 0.02, n))
    ack_at = created + _td(_hours(rng, ack_med, 1.0, n))
    ack_at = ack_at.where(~escalated, escalate_at + _td(_hours(rng, ack_med, 0.8, n)))
    resolve_med = np.where(priority <= 2, 1.5, np.where(urgency == "high", 0.7, 3.0))
    resolve_at = ack_at.where(~never_acked, created) + _td(_hours(rng, resolve_med, 1.2, n))
    responder = directory.pick(rng, team)
    second = directory.pick(rng, team)
    caused_by_change = (priority <= 2) & (rng.random(n) < 0.3)
    incidents = pd.DataFrame({
        "incident_id": np.arange(1, n + 1),
        "incident_number": np.arange(1, n + 1),
        "service_id": service,
        "team_id": team,
        "urgency": urgency,
        "priority": priority,
        "title": [f"{'High' if u == 'high' else 'Low'} alert on service {s}" for u, s in
                  zip(urgency, service, strict=True)],
        "created_at": created,
        "is_major": priority <= 2,
        "is_security": is_security,
        "caused_by_change": caused_by_change,
    })
    ids = incidents["incident_id"].to_numpy()
    acked = ~never_acked
    logs = pd.concat([
        _log(ids, created, "trigger", None),
        _log(ids, created, "assign", responder),
        _log(ids[escalated], escalate_at[escalated], "escalate", second[escalated]),
        _log(ids[acked], ack_at[acked], "acknowledge", np.where(escalated, second, responder)[acked]),
        _log(ids, resolve_at, "resolve", np.where(escalated, second, responder)),
    ], ignore_index=True)
    logs = logs[logs["event_at"] < end_ts]
    logs["order"] = logs["type"].map(LOG_ORDER)
    logs = logs.sort_values(["incident_id", "event_at", "order"], kind="stable", ignore_index=True)
    logs["seq"] = logs.groupby("incident_id").cumcount()
    logs.insert(0, "log_entry_id", np.arange(1, len(logs) + 1))
    return incidents, logs.drop(columns="order")


def _log(ids, at, kind, person) -> pd.DataFrame:
    return pd.DataFrame({
        "incident_id": np.asarray(ids),
        "event_at": pd.Series(at).reset_index(drop=True).dt.floor("s"),
        "type": kind,
        "person_id": pd.array(person if person is not None else [None] * len(ids), dtype="Int64"),
    })


def generate_changes(
    rng: np.random.Generator, org: dict[str, pd.DataFrame], directory: TeamDirectory, start: date, end: date,
    total: int,
) -> pd.DataFrame:
    days, counts = daily_counts(rng, start, end, total)
    n = int(counts.sum())
    services = org["services"]
    service = rng.choice(services["service_id"].to_numpy(), size=n)
    team = services["team_id"].to_numpy()[service - 1]
    created = (pd.Series(np.repeat(days.to_numpy(), counts)).dt.tz_localize("UTC")
               + _td(rng.uniform(8, 17, n))).dt.floor("s").sort_values(ignore_index=True)
    planned_start = directory.push(created + _td(rng.uniform(24, 24 * 10, n)), team, rng)
    duration = _hours(rng, 2.0, 0.7, n)
    change_type = rng.choice(["standard", "normal", "emergency"], size=n, p=[0.5, 0.42, 0.08])
    outcome = rng.choice(["successful", "successful_issues", "unsuccessful"], size=n, p=[0.87, 0.06, 0.07])
    outcome = np.where((change_type == "emergency") & (rng.random(n) < 0.1), "unsuccessful", outcome)
    canceled = rng.random(n) < 0.04
    end_ts = pd.Timestamp(datetime.combine(end, datetime.min.time()), tz="UTC")
    work_end = planned_start + _td(duration * rng.uniform(0.8, 1.4, n))
    closed_at = (work_end + _td(rng.uniform(1, 48, n))).where(~canceled, created + _td(rng.uniform(2, 72, n)))
    return pd.DataFrame({
        "change_id": np.arange(1, n + 1),
        "service_id": service,
        "team_id": team,
        "change_type": change_type,
        "risk": rng.choice(["low", "moderate", "high"], size=n, p=[0.6, 0.3, 0.1]),
        "created_at": created,
        "planned_start_at": planned_start.dt.floor("s"),
        "planned_end_at": (planned_start + _td(duration)).dt.floor("s"),
        "work_start_at": planned_start.where(~canceled).dt.floor("s"),
        "work_end_at": work_end.where(~canceled).dt.floor("s"),
        "closed_at": closed_at.dt.floor("s").where(closed_at < end_ts),
        "outcome": np.where(canceled, "canceled", outcome),
        "requested_by": directory.pick(rng, team),
    })

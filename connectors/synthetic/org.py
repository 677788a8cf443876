"""The organisation itself: teams, people, contracts, services, requesters, projects."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from connectors.synthetic.calendars import REGIONS
from connectors.synthetic.profiles import Profile

EMAIL_DOMAIN = "acme-corp.example"

TEAM_BLUEPRINTS = [
    # (name, kind, working hours start, end, 24x7)
    ("Service Desk", "service_desk", 8.0, 18.0, False),
    ("End User Computing", "end_user", 9.0, 17.5, False),
    ("Infrastructure", "infrastructure", 9.0, 17.5, False),
    ("Network", "network", 9.0, 17.5, False),
    ("Security Operations", "security", 0.0, 24.0, True),
    ("Business Applications", "applications", 9.0, 17.5, False),
    ("Cloud Platform", "platform", 9.0, 17.5, False),
    ("Data & Integration", "data", 9.0, 17.5, False),
    ("Collaboration", "end_user", 9.0, 17.5, False),
    ("Identity & Access", "security", 9.0, 17.5, False),
]

SERVICE_NAMES = {
    "service_desk": ["Service Desk", "Password Reset", "Software Requests"],
    "end_user": ["Laptop Provisioning", "Printing", "Mobile Devices", "Video Conferencing"],
    "infrastructure": ["Data Centre", "Backup & Restore", "Storage", "Virtualisation"],
    "network": ["WAN", "Wi-Fi", "VPN", "DNS & DHCP"],
    "security": ["Security Monitoring", "Endpoint Protection", "Identity Management"],
    "applications": ["ERP", "CRM", "Payroll", "HR Portal", "Expenses"],
    "platform": ["Kubernetes Platform", "CI/CD", "Public Website", "API Gateway"],
    "data": ["Data Warehouse", "Integration Bus", "Reporting"],
}

FIRST_NAMES = [
    "Aisha", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kavya", "Liam",
    "Maya", "Nikolai", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Victor", "Wen", "Xavier",
    "Yara", "Zane", "Amara", "Bruno", "Chloe", "Dmitri", "Esther", "Felix", "Gita", "Hugo", "Ivy", "Jamal",
    "Keiko", "Lars", "Mei", "Noah", "Omar", "Paula", "Rahul", "Sofia", "Tomas", "Ulla", "Vera", "Wyatt",
]
LAST_NAMES = [
    "Okafor", "Schmidt", "Patel", "Nguyen", "Garcia", "Kowalski", "Smith", "Tanaka", "Rossi", "Haddad",
    "Johansson", "Murphy", "Silva", "Fischer", "Kim", "Mensah", "Novak", "Dubois", "Ahmed", "Brown",
    "Costa", "Ivanova", "Larsen", "Moreau", "Singh", "Walker", "Yilmaz", "Zhang", "Hughes", "Romero",
]
ROLES = [
    # (role, share, cost per hour, billable rate per hour)
    ("Service Desk Analyst", 0.22, 38.0, 70.0),
    ("Systems Engineer", 0.25, 62.0, 120.0),
    ("Network Engineer", 0.10, 64.0, 125.0),
    ("Security Analyst", 0.10, 70.0, 140.0),
    ("Application Specialist", 0.15, 60.0, 115.0),
    ("Project Manager", 0.08, 72.0, 140.0),
    ("Team Lead", 0.10, 80.0, 150.0),
]
BUSINESS_UNITS = ["Finance", "HR", "Sales", "Operations", "Legal", "Marketing", "Customer Support", "R&D"]


def _names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    first = rng.choice(FIRST_NAMES, size=n)
    last = rng.choice(LAST_NAMES, size=n)
    return [str(f) for f in first], [str(x) for x in last]


def _emails(first: list[str], last: list[str], prefix: str = "") -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for f, last_name in zip(first, last, strict=True):
        base = f"{prefix}{f}.{last_name}".lower().replace(" ", "")
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.append(f"{base}{n + 1 if n else ''}@{EMAIL_DOMAIN}")
    return out


def build_org(rng: np.random.Generator, profile: Profile, start: date, end: date) -> dict[str, pd.DataFrame]:
    """Teams, people, contracts, services, requesters, clients and projects."""
    # --- teams -----------------------------------------------------------------------------------
    teams = []
    for i in range(profile.teams):
        name, kind, h0, h1, is_24x7 = TEAM_BLUEPRINTS[i % len(TEAM_BLUEPRINTS)]
        region = REGIONS[i % len(REGIONS)] if i else REGIONS[0]
        suffix = f" {region.code.upper()}" if i >= len(TEAM_BLUEPRINTS) else ""
        teams.append({
            "team_id": i + 1,
            "team_name": name + suffix + (f" {i // len(TEAM_BLUEPRINTS) + 1}" if i >= 2 * len(TEAM_BLUEPRINTS) else ""),
            "team_kind": kind,
            "region": region.code,
            "timezone": region.timezone,
            "workday_start_hour": h0,
            "workday_end_hour": h1,
            "is_24x7": is_24x7,
        })
    teams_df = pd.DataFrame(teams)

    # --- people and contracts -------------------------------------------------------------------
    n = profile.people
    first, last = _names(rng, n)
    # Service Desk is the largest team; the rest share evenly with some variation.
    weights = np.where(teams_df["team_kind"].to_numpy() == "service_desk", 2.0, 1.0)
    weights = weights * rng.uniform(0.7, 1.3, size=len(weights))
    team_of = rng.choice(teams_df["team_id"].to_numpy(), size=n, p=weights / weights.sum())
    team_of[: len(teams_df)] = teams_df["team_id"].to_numpy()[: min(n, len(teams_df))]  # no empty team
    role_idx = rng.choice(len(ROLES), size=n, p=np.array([r[1] for r in ROLES]) / sum(r[1] for r in ROLES))
    history_days = (end - start).days
    # Most people predate the history; some join during it, a few leave.
    hire_offset = np.where(rng.random(n) < 0.85, -rng.integers(30, 3000, size=n),
                           rng.integers(0, max(history_days - 30, 1), size=n))
    hire_dates = [start + timedelta(days=int(d)) for d in hire_offset]
    leaves = rng.random(n) < 0.06
    leave_dates = []
    for hired, leaver in zip(hire_dates, leaves, strict=True):
        if not leaver:
            leave_dates.append(None)
            continue
        low = max((hired - start).days, 0) + 30
        leave_dates.append(start + timedelta(days=int(rng.integers(low, max(history_days + 30, low + 1)))))
    leave_dates = [d if d is not None and d < end else None for d in leave_dates]
    employment = np.where(rng.random(n) < 0.12, "contractor", "employee")
    part_time = rng.random(n) < 0.15
    minutes_per_day = np.where(part_time & (rng.random(n) < 0.5), 360, 480)
    four_day = part_time & (minutes_per_day == 480)
    roles = [ROLES[i] for i in role_idx]
    people = pd.DataFrame({
        "person_id": np.arange(1, n + 1),
        "first_name": first,
        "last_name": last,
        "email": _emails(first, last),
        "team_id": team_of,
        "role": [r[0] for r in roles],
        "employment_type": employment,
        "hire_date": pd.Series(hire_dates, dtype="object"),
        "leave_date": pd.Series(leave_dates, dtype="object"),
        "is_placeholder": False,
    })
    cost = np.array([r[2] for r in roles]) * rng.uniform(0.85, 1.2, size=n)
    cost = np.where(employment == "contractor", cost * 1.35, cost)
    rate = np.array([r[3] for r in roles]) * rng.uniform(0.95, 1.1, size=n)
    contract_rows = []
    for i in range(n):
        contract_rows.append({
            "person_id": i + 1,
            "start_date": hire_dates[i],
            "end_date": leave_dates[i],
            "employment_type": str(employment[i]),
            "job_title": roles[i][0],
            "minutes_per_day": int(minutes_per_day[i]),
            "works_monday": True,
            "works_tuesday": True,
            "works_wednesday": True,
            "works_thursday": True,
            "works_friday": not bool(four_day[i]),
            "cost_per_hour": round(float(cost[i]), 2),
            "billable_rate": round(float(rate[i]), 2),
        })
    # A share of people changed contract mid-history (went part-time or back to full time).
    changed = rng.random(n) < 0.05
    switches = rng.integers(60, max(history_days, 61), size=n)
    for i in np.flatnonzero(changed):
        row = contract_rows[i]
        switch = start + timedelta(days=int(switches[i]))
        if switch <= row["start_date"] or switch >= end or (row["end_date"] and switch >= row["end_date"]):
            continue
        new = dict(row, start_date=switch, minutes_per_day=360 if row["minutes_per_day"] == 480 else 480)
        row["end_date"] = switch - timedelta(days=1)
        contract_rows.append(new)
    contracts = pd.DataFrame(contract_rows)
    contracts["start_date"] = pd.Series(list(contracts["start_date"]), dtype="object")
    contracts["end_date"] = pd.Series(list(contracts["end_date"]), dtype="object")
    contracts.insert(0, "contract_id", np.arange(1, len(contracts) + 1))

    # --- services ---------------------------------------------------------------------------------
    services = []
    for team in teams:
        names = SERVICE_NAMES.get(team["team_kind"], ["General"])
        for j, sname in enumerate(names):
            label = sname if team["team_id"] <= len(TEAM_BLUEPRINTS) else f"{sname} ({team['team_name']})"
            services.append({
                "service_id": len(services) + 1,
                "service_name": label,
                "team_id": team["team_id"],
                "tier": 1 if j == 0 else int(rng.integers(1, 4)),
                "is_customer_facing": sname in ("Public Website", "API Gateway", "CRM"),
            })
    services_df = pd.DataFrame(services)

    # --- requesters (business users) ----------------------------------------------------------------
    r = profile.people * profile.requesters_per_person
    rf, rl = _names(rng, r)
    requesters = pd.DataFrame({
        "requester_id": np.arange(1, r + 1),
        "first_name": rf,
        "last_name": rl,
        "email": _emails(rf, rl, prefix="u."),
        "business_unit": rng.choice(BUSINESS_UNITS, size=r),
        "region": rng.choice([reg.code for reg in REGIONS], size=r),
    })

    # --- clients (internal business units) and projects ---------------------------------------------
    clients = pd.DataFrame({
        "client_id": np.arange(1, len(BUSINESS_UNITS) + 2),
        "client_name": [*BUSINESS_UNITS, "IT Internal"],
    })
    projects = _projects(rng, profile, teams_df, clients, start, end)
    return {
        "teams": teams_df,
        "people": people,
        "contracts": contracts,
        "services": services_df,
        "requesters": requesters,
        "clients": clients,
        "projects": projects,
    }


def _projects(rng: np.random.Generator, profile: Profile, teams: pd.DataFrame, clients: pd.DataFrame,
              start: date, end: date) -> pd.DataFrame:
    """Every team has a Support and a KTLO project; the rest are strategic projects with budgets."""
    rows = []
    for _, team in teams.iterrows():
        for kind, label in (("support", "BAU Support"), ("ktlo", "Keep the Lights On")):
            rows.append({
                "project_name": f"{label} - {team['team_name']}",
                "project_kind": kind,
                "team_id": int(team["team_id"]),
                "client_id": int(clients["client_id"].iloc[-1]),
                "pricing_model": "nb",
                "start_date": start - timedelta(days=365),
                "end_date": None,
                "is_confirmed": True,
                "budget_amount": None,
                "budget_hours": None,
            })
    history_days = (end - start).days
    n_strategic = max(profile.projects - len(rows), 1)
    horizon = history_days + 180  # projects also run into the forecast quarter
    for i in range(n_strategic):
        begin = start + timedelta(days=int(rng.integers(-120, max(horizon - 60, 1))))
        length = int(rng.integers(45, 400))
        pricing = rng.choice(["tm", "fp", "nb"], p=[0.45, 0.35, 0.20])
        people_est = int(rng.integers(2, 8))
        hours = round(people_est * length * 5 / 7 * 6.0 * rng.uniform(0.3, 0.7), 0)
        rate = rng.uniform(85, 130)
        rows.append({
            "project_name": f"{rng.choice(PROJECT_VERBS)} {rng.choice(PROJECT_OBJECTS)} {i + 1:04d}",
            "project_kind": "strategic",
            "team_id": int(rng.choice(teams["team_id"])),
            "client_id": int(rng.choice(clients["client_id"].iloc[:-1])),
            "pricing_model": str(pricing),
            "start_date": begin,
            "end_date": begin + timedelta(days=length),
            # Future work is sometimes still tentative; past work was confirmed.
            "is_confirmed": bool(begin < end - timedelta(days=30) or rng.random() < 0.6),
            "budget_amount": round(hours * rate, -2),
            "budget_hours": hours,
        })
    frame = pd.DataFrame(rows)
    frame.insert(0, "project_id", np.arange(1, len(frame) + 1))
    frame["currency"] = "USD"
    return frame


PROJECT_VERBS = ["Migrate", "Upgrade", "Consolidate", "Replace", "Automate", "Harden", "Modernise", "Roll out"]
PROJECT_OBJECTS = ["ERP", "Email Platform", "Data Centre", "Laptop Fleet", "Wi-Fi", "Identity Platform",
                   "Backup", "CRM", "Service Portal", "Monitoring", "Network Core", "Payroll", "Intranet"]

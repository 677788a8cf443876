"""MTTR and utilization on a tiny hand-made fixture equal the values worked out by hand.

The records are real API shapes (ServiceNow strings and references, Harvest ids and
seconds) landed through the connectors' own stream specs, then built by dbt.

Hand computation (March 2026, team network-ops):
    major incidents resolved in March: 3 h and 1.5 h  -> MTTR = 4.5 / 2 = 2.25 h
    all tickets resolved in March: 3, 1.5 and 24 h    -> mean 28.5 / 3 = 9.5 h, median 3 h
    capacity Mon 2-Fri 6 March: Alice 5 x 8 h = 40 h, Bob 5 x 4 h = 20 h (40 h and 20 h a week)
    logged: Alice 4 x 8 h = 32 h, Bob 5 x 4 h = 20 h   -> team utilization 52 / 60 = 86.67%
    (the average of Alice's 80% and Bob's 100% would wrongly give 90%)
    no leave, no holidays, no Runn schedule: effective capacity = contracted = 60 h; Alice's
    Friday without logged time is 8 h on the bench; 52 h x 50/h = 2,600 of actual cost, none of
    it on a project tagged support, so cost per ticket has no value (not 0)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest

from connectors.core.landing import Landing
from connectors.core.warehouse import open_writer
from connectors.harvest import STREAMS as HARVEST_STREAMS
from connectors.registry import ensure_all_raw_tables
from connectors.servicenow import STREAMS as SERVICENOW_STREAMS

ROOT = Path(__file__).resolve().parents[1]
GROUP = "0" * 31 + "1"
SERVICE = "0" * 31 + "2"
ALICE_SN, BOB_SN = "a" * 32, "b" * 32


def ref(table: str, sys_id: str) -> dict:
    return {"link": f"https://acme.service-now.com/api/now/table/{table}/{sys_id}", "value": sys_id}


def incident(n: int, priority: int, opened: str, resolved: str, state: str, major: bool) -> dict:
    return {
        "sys_id": f"{n:032x}", "number": f"INC{n:07d}", "state": state, "priority": str(priority),
        "assignment_group": ref("sys_user_group", GROUP), "assigned_to": ref("sys_user", ALICE_SN),
        "business_service": ref("cmdb_ci_service", SERVICE), "opened_at": opened, "resolved_at": resolved,
        "closed_at": "", "reassignment_count": "0", "reopen_count": "0", "active": "false" if resolved else "true",
        "major_incident_state": "accepted" if major else "", "sys_updated_on": resolved or opened,
        "sys_created_on": opened, "made_sla": "true",
    }


SERVICENOW = {
    "sys_user_group": [{"sys_id": GROUP, "name": "Network Ops", "active": "true",
                        "sys_updated_on": "2025-01-01 00:00:00"}],
    "cmdb_ci_service": [{"sys_id": SERVICE, "name": "VPN", "support_group": ref("sys_user_group", GROUP),
                         "busines_criticality": "1", "sys_updated_on": "2025-01-01 00:00:00"}],
    "sys_user": [
        {"sys_id": ALICE_SN, "name": "Alice Ng", "email": "Alice.Ng@Example.com ", "active": "true",
         "sys_updated_on": "2025-01-01 00:00:00"},
        {"sys_id": BOB_SN, "name": "Bob Ray", "email": "bob.ray@example.com", "active": "true",
         "sys_updated_on": "2025-01-01 00:00:00"},
    ],
    "sys_user_grmember": [
        {"sys_id": "c" * 32, "user": ref("sys_user", ALICE_SN), "group": ref("sys_user_group", GROUP),
         "sys_created_on": "2025-01-01 00:00:00", "sys_updated_on": "2025-01-01 00:00:00"},
        {"sys_id": "d" * 32, "user": ref("sys_user", BOB_SN), "group": ref("sys_user_group", GROUP),
         "sys_created_on": "2025-01-01 00:00:00", "sys_updated_on": "2025-01-01 00:00:00"},
    ],
    "incident": [
        incident(1, 1, "2026-03-02 09:00:00", "2026-03-02 12:00:00", "7", major=True),
        incident(2, 1, "2026-03-05 10:00:00", "2026-03-05 11:30:00", "6", major=True),
        incident(3, 3, "2026-03-03 08:00:00", "2026-03-04 08:00:00", "6", major=False),
        incident(4, 3, "2026-03-10 08:00:00", "", "2", major=False),
        incident(5, 2, "2026-03-31 20:00:00", "2026-04-01 04:00:00", "6", major=True),
    ],
}


def user(uid: int, email: str, weekly_hours: float) -> dict:
    return {"id": uid, "first_name": email.split(".")[0], "last_name": "x", "email": email, "is_active": True,
            "weekly_capacity": int(weekly_hours * 3600), "cost_rate": 50.0, "default_hourly_rate": 100.0,
            "is_contractor": False, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}


def entry(eid: int, uid: int, day: str, hours: float) -> dict:
    return {"id": eid, "spent_date": day, "user": {"id": uid, "name": "x"}, "project": {"id": 9, "name": "BAU"},
            "task": {"id": 1, "name": "Ticket Handling"}, "hours": hours, "billable": False, "cost_rate": 50.0,
            "billable_rate": None, "created_at": f"{day}T18:00:00Z", "updated_at": f"{day}T18:00:00Z"}


ALICE_DAYS = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
BOB_DAYS = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"]
HARVEST = {
    "users": [user(101, "alice.ng@example.com", 40), user(102, "bob.ray@example.com", 20)],
    "projects": [{"id": 9, "name": "BAU", "is_active": True, "updated_at": "2026-01-01T00:00:00Z"}],
    "time_entries": [entry(1000 + i, 101, d, 8.0) for i, d in enumerate(ALICE_DAYS)]
    + [entry(2000 + i, 102, d, 4.0) for i, d in enumerate(BOB_DAYS)],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("kpi") / "hand.duckdb"
    with open_writer(db) as con:
        ensure_all_raw_tables(con)  # sources this fixture does not use build empty
        for specs, records, key in ((SERVICENOW_STREAMS, SERVICENOW, "result"), (HARVEST_STREAMS, HARVEST, None)):
            for spec in specs:
                landing = Landing(con, spec)
                # Streams the fixture has no records for land empty (their raw tables must exist for dbt).
                landing.page(json.dumps({key or spec.name: records.get(spec.name, [])}))
                result = landing.finish()
                assert result.quarantined == 0
        ensure_all_raw_tables(con)  # as the refresh does: other registered sources' raw tables exist, empty
    target = ROOT / "dbt_project" / "target" / f"test-{uuid.uuid4().hex[:8]}"
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--project-dir", "dbt_project", "--profiles-dir",
         "dbt_project", "--target-path", str(target), "--exclude", "test_type:unit"],
        cwd=ROOT, env={**os.environ, "ITOPS_WAREHOUSE": str(db), "ITOPS_TIMEZONE": "UTC"},
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-5000:]
    return db


def metric(db: Path, name: str, dimension: str, value: str, grain: str = "month", period: str = "2026-03-01"):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            """select numerator, denominator, value from marts.kpi_metrics
               where metric = ? and grain = ? and period_start = ? and dimension = ? and dimension_value = ?""",
            [name, grain, period, dimension, value],
        ).fetchone()
    finally:
        con.close()


def test_mttr_by_team_and_month(built) -> None:
    assert metric(built, "mttr_hours", "team", "network-ops") == pytest.approx((4.5, 2.0, 2.25))
    assert metric(built, "mttr_hours", "team", "network-ops", period="2026-04-01") == pytest.approx((8.0, 1.0, 8.0))
    assert metric(built, "mttr_median_hours", "all", "all")[2] == pytest.approx(2.25)


def test_ticket_resolution_time_by_team_and_month(built) -> None:
    assert metric(built, "resolution_time_mean_hours", "team", "network-ops") == pytest.approx((28.5, 3.0, 9.5))
    assert metric(built, "resolution_time_median_hours", "service", "vpn")[2] == pytest.approx(3.0)


def test_utilization_by_person_and_team_is_a_ratio_of_sums(built) -> None:
    assert metric(built, "utilization_pct", "team", "network-ops") == pytest.approx((52.0, 60.0, 100 * 52 / 60))
    assert metric(built, "utilization_pct", "team", "network-ops", grain="week",
                  period="2026-03-02") == pytest.approx((52.0, 60.0, 100 * 52 / 60))
    con = duckdb.connect(str(built), read_only=True)
    people = dict(con.execute("select email, person_id from marts.dim_people").fetchall())
    con.close()
    # Alice's e-mail differs in case and spacing between ServiceNow and Harvest: still one person.
    assert set(people) == {"alice.ng@example.com", "bob.ray@example.com"}
    assert metric(built, "utilization_pct", "person", people["alice.ng@example.com"])[2] == pytest.approx(80.0)
    assert metric(built, "utilization_pct", "person", people["bob.ray@example.com"])[2] == pytest.approx(100.0)


def test_people_and_cost_kpis_on_the_same_fixture(built) -> None:
    assert metric(built, "capacity_effective_hours", "team", "network-ops") == pytest.approx((60.0, None, 60.0))
    assert metric(built, "billable_utilization_pct", "team", "network-ops") == pytest.approx((0.0, 60.0, 0.0))
    assert metric(built, "bench_hours", "all", "all", grain="week", period="2026-03-02") == pytest.approx(
        (8.0, None, 8.0))
    assert metric(built, "overtime_hours", "all", "all", grain="week", period="2026-03-02") == pytest.approx(
        (0.0, None, 0.0))
    assert metric(built, "actual_cost", "all", "all") == pytest.approx((2600.0, None, 2600.0))
    # the BAU project carries no Runn category tag: its hours stay in the share's denominator only
    assert metric(built, "hours_share_support_pct", "all", "all") == pytest.approx((0.0, 52.0, 0.0))
    assert metric(built, "cost_per_ticket", "team", "network-ops") == (None, 3.0, None)

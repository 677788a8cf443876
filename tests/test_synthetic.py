"""The synthetic organisation: deterministic, coherent, realistic in shape."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import requests

from connectors.fakes.suite import start_fakes
from connectors.synthetic import OrgSpec, content_digest, generate
from tests.conftest import END_DATE


def test_same_seed_gives_identical_data(tmp_path: Path) -> None:
    spec = OrgSpec(seed=11, profile="tiny", end_date=END_DATE)
    first = content_digest(generate(spec, tmp_path / "a.duckdb"))
    second = content_digest(generate(spec, tmp_path / "b.duckdb"))
    assert first == second
    assert {"tickets", "ticket_events", "time_entries", "incidents", "people"} <= set(first)


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    first = content_digest(generate(OrgSpec(seed=11, profile="tiny", end_date=END_DATE), tmp_path / "a.duckdb"))
    second = content_digest(generate(OrgSpec(seed=12, profile="tiny", end_date=END_DATE), tmp_path / "b.duckdb"))
    assert first["tickets"] != second["tickets"]


def test_same_seed_gives_byte_identical_api_pages(tmp_path: Path) -> None:
    spec = OrgSpec(seed=11, profile="tiny", end_date=END_DATE)
    bodies = []
    for name in ("a", "b"):
        with start_fakes(generate(spec, tmp_path / f"{name}.duckdb")) as suite:
            env = suite.env
            response = requests.get(
                f"{env['SERVICENOW_INSTANCE_URL']}/api/now/table/incident",
                params={"sysparm_limit": "50", "sysparm_query": "ORDERBYnumber"},
                auth=(env["SERVICENOW_USERNAME"], env["SERVICENOW_PASSWORD"]),
                timeout=10,
            )
            # Links embed the fake's port; the records must not differ at all.
            bodies.append(response.json()["result"])
    strip = [[{k: v for k, v in r.items() if not isinstance(v, dict)} for r in body] for body in bodies]
    assert strip[0] == strip[1]
    assert len(strip[0]) == 50


@pytest.fixture(scope="module")
def small_org(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    path = generate(OrgSpec(seed=42, profile="small", end_date=END_DATE), tmp_path_factory.mktemp("s") / "s.duckdb")
    con = duckdb.connect(str(path), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    yield con
    con.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def test_small_org_has_about_100_people_in_6_to_8_teams(small_org) -> None:
    assert scalar(small_org, "select count(*) from people") == 100
    assert 6 <= scalar(small_org, "select count(*) from teams") <= 8
    assert scalar(small_org, "select count(distinct timezone) from teams") >= 4
    assert scalar(small_org, "select min(n) from (select count(*) n from people group by team_id)") >= 3


def test_tickets_have_weekday_and_office_hour_seasonality(small_org) -> None:
    weekday, weekend = small_org.execute(
        """select avg(n) filter (where dow between 1 and 5), avg(n) filter (where dow in (0, 6))
           from (select dayofweek(opened_at) dow, cast(opened_at as date) d, count(*) n
                 from tickets group by all)"""
    ).fetchone()
    assert weekday > 4 * weekend


def test_priority_mix_is_dominated_by_p3_and_p4(small_org) -> None:
    shares = dict(small_org.execute(
        "select initial_priority, count(*) / sum(count(*)) over () from tickets group by 1"
    ).fetchall())
    assert shares[3] + shares[4] > 0.8
    assert 0 < shares[1] < 0.03


def test_resolution_times_are_long_tailed(small_org) -> None:
    p50, p90, p99 = small_org.execute(
        """with last as (select * from ticket_events qualify row_number() over (partition by ticket_id
                         order by seq desc) = 1)
           select quantile_cont(h, 0.5), quantile_cont(h, 0.9), quantile_cont(h, 0.99) from (
               select epoch(resolved_at - t.opened_at) / 3600 as h from last join tickets t using (ticket_id)
               where resolved_at is not null)"""
    ).fetchone()
    assert 4 < p50 < 60
    assert p90 > 3 * p50
    assert p99 > 2 * p90


def test_some_tickets_reopen_and_many_are_reassigned(small_org) -> None:
    reopened, reassigned = small_org.execute(
        """select avg((reopen_count > 0)::int), avg((reassignment_count > 0)::int) from (
               select * from ticket_events qualify row_number() over (partition by ticket_id order by seq desc) = 1)"""
    ).fetchone()
    assert 0.005 < reopened < 0.08
    assert 0.3 < reassigned < 0.7


def test_timesheets_are_consistent_with_capacity(small_org) -> None:
    # Nobody logs on a weekend, and logged hours stay near contracted capacity.
    assert scalar(small_org, "select count(*) from time_entries where dayofweek(spent_date) in (0, 6)") == 0
    ratio = scalar(small_org, """
        with per_day as (select person_id, spent_date, sum(hours) h from time_entries group by all)
        select avg(h / (c.minutes_per_day / 60.0)) from per_day
        join contracts c on c.person_id = per_day.person_id
            and per_day.spent_date between c.start_date and coalesce(c.end_date, date '2999-12-31')""")
    assert 0.85 < ratio < 1.1


def test_nobody_logs_time_on_their_public_holidays(small_org) -> None:
    assert scalar(small_org, """
        select count(*) from time_entries e
        join teams t on t.team_id = e.team_id
        join holidays h on h.region = t.region and h.holiday_date = e.spent_date""") == 0


def test_projects_have_budgets_and_csat_responses_exist(small_org) -> None:
    strategic = "select count(*) from projects where project_kind = 'strategic' and budget_amount > 0"
    assert scalar(small_org, strategic) > 10
    share = scalar(small_org, """select count(*) / (select count(distinct ticket_id) from ticket_events
                                  where event = 'resolve') from csat_responses""")
    assert 0.1 < share < 0.3
    assert scalar(small_org, "select min(score) from csat_responses") == 1
    assert scalar(small_org, "select max(score) from csat_responses") == 5

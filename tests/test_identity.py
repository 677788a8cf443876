"""Identity across sources on the synthetic org: every person is exactly one dim_people row,
with the team Runn gives them, and every time entry is attributed to a person and a team.

Every registered connector is loaded from its fake (the test grows with the sources), plus a
spreadsheets folder; then dbt builds the models behind dim_people and fct_time_entries.
One identity exception is staged: Runn knows a person under an old-domain alias, and the
identity_overrides spreadsheet maps that account back to the person.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess

import pytest

from connectors.core.base import run_stream
from connectors.core.warehouse import connect, open_writer
from connectors.fakes.base import Fault
from connectors.registry import CONNECTORS, enabled_sources, ensure_all_raw_tables
from connectors.spreadsheets import load_folder
from pipelines.defs.dbt import dbt_executable
from pipelines.project import DBT_PROJECT_DIR


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")


@pytest.mark.slow
def test_every_synthetic_person_is_exactly_one_dim_people_row(fakes, tmp_path, monkeypatch, warehouse_path) -> None:
    store = fakes.store
    people = store.query("""select p.person_id, lower(p.email), t.team_name, t.time_tracking
                            from people p join teams t using (team_id) order by p.person_id""")
    # The exception: a Runn-tracked person whose Runn account carries an alias.
    alias_id, alias_email = next((pid, email) for pid, email, _, tracking in people if tracking == "runn")
    alias = alias_email.replace("@acme-corp.example", "@acme-legacy.example")
    runn_account = str(100_000 + alias_id)
    fakes.apis["runn"].faults.add(Fault("rewrite", path="^/people/$", times=1000,
                                        transform=lambda body: body.replace(alias_email.encode(), alias.encode())))
    folder = tmp_path / "files"
    folder.mkdir()
    with (folder / "identity_overrides.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["source", "source_user_id", "canonical_email"],
                                      ["runn", runn_account, alias_email]])
    with (folder / "headcount.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["email", "full_name", "team", "employment_type", "hours_per_week", "start_date"],
                                      ["night.shift@partner.example", "Night Shift", "Service Desk", "contractor",
                                       "37.5", "2026-01-05"]])
    with open_writer() as con:
        for source in enabled_sources():
            connector = CONNECTORS[source].from_env()
            for spec in connector.streams():
                run_stream(con, connector, spec.name)
        ensure_all_raw_tables(con)
        assert not load_folder(con, folder).rejected
    env = {**os.environ, "ITOPS_WAREHOUSE": str(warehouse_path)}
    proc = subprocess.run(
        [dbt_executable(), "build", "--select", "+dim_people", "+fct_time_entries", "+dim_teams",
         "--indirect-selection", "cautious", "--project-dir",
         str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target")],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
    )
    failures = [line for line in proc.stdout.splitlines() if " FAIL " in line or " ERROR " in line]
    assert proc.returncode == 0, "\n".join(failures) or proc.stdout[-3000:]

    con = connect(warehouse_path, read_only=True)
    try:
        rows = con.execute("select email, team_id, runn_person_id, harvest_user_id from marts.dim_people").fetchall()
        map_row = con.execute("select email, is_overridden from intermediate.int_identity_map "
                              "where source = 'runn' and source_user_id = ?", [runn_account]).fetchone()
        unattributed = con.execute("select source, count(*) from marts.fct_time_entries "
                                   "where person_id is null or team_id is null group by 1").fetchall()
        by_source = dict(con.execute("select source, count(*) from marts.fct_time_entries group by 1").fetchall())
        runn_for_harvest_people = con.execute("""
            select count(*) from marts.fct_time_entries e join marts.dim_people p using (person_id)
            where e.source = 'runn' and p.harvest_user_id is not null""").fetchone()[0]
    finally:
        con.close()
    by_email: dict[str, list[tuple]] = {}
    for row in rows:
        by_email.setdefault(row[0], []).append(row)
    for person_id, email, team_name, _ in people:
        assert len(by_email.get(email, [])) == 1, f"synthetic person {person_id} ({email})"
        assert by_email[email][0][1] == slug(team_name), f"{email}: Runn's team wins"
        assert by_email[email][0][2] == str(100_000 + person_id), f"{email}: linked to their Runn account"
    assert len(rows) == len(people) + 1  # and the partner from the headcount spreadsheet
    assert by_email["night.shift@partner.example"][0][1] == "service-desk"
    assert alias not in by_email and map_row == (alias_email, True)
    assert unattributed == [] and by_source.get("runn", 0) > 0 and by_source.get("harvest", 0) > 0
    assert runn_for_harvest_people == 0

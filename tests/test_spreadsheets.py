"""Spreadsheets folder: strict validation with precise messages, atomic per-file loads where a
bad file never replaces the good version, the sample set and templates, the Dagster sensor."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import pytest

from connectors.spreadsheet_docs import DOC, TEMPLATES_DIR, render_doc, template_csv
from connectors.spreadsheet_kinds import KINDS
from connectors.spreadsheets import folder_fingerprint, load_folder
from connectors.synthetic.org import TEAM_BLUEPRINTS
from connectors.synthetic.spreadsheets import SAMPLES_DIR, sample_teams, write_samples

BUDGETS_HEADER = ["period", "cost_centre", "project", "amount", "currency"]


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def folder(tmp_path) -> Path:
    path = tmp_path / "files"
    path.mkdir()
    return path


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def budget_rows(con) -> list[tuple]:
    return con.execute("select _file, _row, period, cost_centre, amount from raw_spreadsheets.budgets "
                       "order by _file, _row").fetchall()


def test_a_malformed_csv_is_rejected_with_file_row_and_column_and_the_previous_version_stays(con, folder) -> None:
    path = write_csv(folder / "budgets_2026.csv", [BUDGETS_HEADER, ["2026-Q1", "Service Desk", "", "1000", "USD"],
                                                   ["2026-Q2", "Service Desk", "", "1200.50", "USD"]])
    assert [o.status for o in load_folder(con, folder).outcomes] == ["loaded"]
    good = budget_rows(con)
    assert len(good) == 2
    write_csv(path, [BUDGETS_HEADER, ["2026-Q1", "Service Desk", "", "1000", "USD"],
                     ["2026-Q2", "Service Desk", "", "1.200,50", "USD"],
                     ["2026-Q3", "Service Desk", "Replace CRM", "900", "usd"]])
    outcome = load_folder(con, folder).outcomes[0]
    assert outcome.status == "rejected"
    assert outcome.errors == [
        "budgets_2026.csv: row 3, column 'amount': '1.200,50' is not a number "
        "(use . for decimals, no thousands separators)",
    ]
    assert budget_rows(con) == good  # the last good version stays in force
    rejection = con.execute("select file_name, message from raw_spreadsheets._rejections").fetchall()
    assert rejection == [("budgets_2026.csv", outcome.message)]
    # Once the cells are right, the rules over rows are checked: exactly one of cost centre and project.
    write_csv(path, [BUDGETS_HEADER, ["2026-Q1", "Service Desk", "", "1000", "USD"],
                     ["2026-Q3", "Service Desk", "Replace CRM", "900", "usd"]])
    outcome = load_folder(con, folder).outcomes[0]
    assert outcome.errors == ["budgets_2026.csv: row 3, column 'cost_centre': fill exactly one of cost_centre "
                              "and project"]
    assert budget_rows(con) == good
    write_csv(path, [BUDGETS_HEADER, ["2026-Q3", "Service Desk", "", "900", "usd"]])
    assert load_folder(con, folder).outcomes[0].status == "loaded"
    assert budget_rows(con) == [("budgets_2026.csv", 2, "2026-Q3", "Service Desk", 900)]
    assert con.execute("select currency from raw_spreadsheets.budgets").fetchone() == ("USD",)


def test_a_malformed_xlsx_is_rejected_with_file_row_and_column_and_the_previous_version_stays(con, folder) -> None:
    header = ["team", "timezone", "weekday", "start_time", "end_time"]
    path = folder / "business_calendars.xlsx"
    write_xlsx(path, [header, ["Service Desk", "Europe/London", "mon", "08:00", "18:00"],
                      ["Network", "Asia/Kolkata", "tue", "09:00", "17:30"]])
    assert load_folder(con, folder).outcomes[0].status == "loaded"
    before = con.execute("select * exclude (_loaded_at) from raw_spreadsheets.business_calendars order by _row"
                         ).fetchall()
    write_xlsx(path, [header, ["Service Desk", "Europe/London", "mon", "08:00", "18:00"],
                      [None],  # a blank row: skipped, but row numbers stay those Excel shows
                      ["Network", "Asia/Calcutta Standard", "tue", "09:00", "17:30"],
                      ["Network", "Asia/Kolkata", "Tuesday", "9", "25:00"]])
    outcome = load_folder(con, folder).outcomes[0]
    assert outcome.status == "rejected"
    assert outcome.errors == [
        "business_calendars.xlsx: row 4, column 'timezone': 'Asia/Calcutta Standard' is not an IANA time zone "
        "(e.g. Europe/London)",
        "business_calendars.xlsx: row 5, column 'weekday': 'Tuesday' is not a weekday (mon, tue, wed, thu, fri, "
        "sat, sun)",
        "business_calendars.xlsx: row 5, column 'start_time': '9' is not a time (HH:MM)",
        "business_calendars.xlsx: row 5, column 'end_time': '25:00' is not a time (HH:MM)",
    ]
    assert outcome.message.endswith("(and 3 more problems)")
    after = con.execute("select * exclude (_loaded_at) from raw_spreadsheets.business_calendars order by _row"
                        ).fetchall()
    assert after == before


def test_xlsx_cells_typed_by_excel_are_read_as_their_text(con, folder) -> None:
    import datetime as dt

    write_xlsx(folder / "headcount.xlsx", [
        ["Email", "Full Name", "Team", "Employment Type", "Hours per week", "Start date", "End date"],
        ["Ana.Lima@Partner.example ", "Ana Lima", "Service Desk", "contractor", 37.5, dt.datetime(2026, 1, 5),
         dt.date(2026, 6, 30)],
        ["raj@partner.example", "Raj Iyer", "Network", "employee", 20, "2026-02-01", None],
    ])
    assert load_folder(con, folder).outcomes[0].status == "loaded"
    rows = con.execute("select email, hours_per_week, start_date, end_date from raw_spreadsheets.headcount "
                       "order by _row").fetchall()
    assert [(r[0], float(r[1]), r[2].isoformat(), r[3] and r[3].isoformat()) for r in rows] == [
        ("Ana.Lima@Partner.example", 37.5, "2026-01-05", "2026-06-30"),
        ("raj@partner.example", 20.0, "2026-02-01", None),
    ]


@pytest.mark.parametrize(("rows", "expected"), [
    ([["period", "cost_center", "amount", "currency"], ["2026", "IT", "1", "USD"]],
     ["budgets.csv: row 1, column 'cost_center': unknown column for a budgets file (expected: period, "
      "cost_centre, project, amount, currency, notes)"]),
    ([["period", "cost_centre", "currency"], ["2026", "IT", "USD"]],
     ["budgets.csv: row 1, column 'amount': required column is missing"]),
    ([BUDGETS_HEADER, ["2026", "IT", "", "1", "USD", "extra"]],
     ["budgets.csv: row 2: has 6 values but the header has 5 columns"]),
    ([BUDGETS_HEADER, ["2026", "IT", "", "", "USD"], ["2026-13", "HR", "", "-5", "USD"]],
     ["budgets.csv: row 2, column 'amount': is required",
      "budgets.csv: row 3, column 'period': '2026-13' is not a period (YYYY, YYYY-Qn or YYYY-MM)"]),
    ([BUDGETS_HEADER, ["2026", "IT", "", "-5", "USD"]],
     ["budgets.csv: row 2, column 'amount': '-5.0000' must be >= 0"]),
    ([BUDGETS_HEADER, ["2026", "IT", "", "5", "USD"], ["2026-Q2", "IT", "", "5", "USD"],
      ["2026", "IT", "", "7", "USD"]],
     ["budgets.csv: row 3, column 'period': overlaps row 2",
      "budgets.csv: row 4, column 'period': repeats (period, cost_centre, project) of row 2",
      "budgets.csv: row 4, column 'period': overlaps row 2"]),
])
def test_strict_schema_messages(con, folder, rows, expected) -> None:
    write_csv(folder / "budgets.csv", rows)
    outcome = load_folder(con, folder).outcomes[0]
    assert (outcome.status, outcome.errors) == ("rejected", expected)
    assert budget_rows(con) == []


def test_rows_conflicting_with_another_file_of_the_same_kind_reject_the_newcomer(con, folder) -> None:
    write_csv(folder / "kpi_targets_a.csv", [["metric", "target", "direction", "at_risk_tolerance_pct"],
                                             ["mttr_hours", "6", "lower_is_better", "25"]])
    write_csv(folder / "kpi_targets_b.csv", [["metric", "target", "direction", "at_risk_tolerance_pct"],
                                             ["utilization_pct", "75", "higher_is_better", "10"],
                                             ["mttr_hours", "5", "lower_is_better", "25"]])
    outcomes = {o.file: o for o in load_folder(con, folder).outcomes}
    assert outcomes["kpi_targets_a.csv"].status == "loaded"
    assert outcomes["kpi_targets_b.csv"].errors == [
        "kpi_targets_b.csv: row 3, column 'metric': repeats (metric) of kpi_targets_a.csv row 2"]
    assert con.execute("select metric, target from raw_spreadsheets.kpi_targets").fetchall() == [("mttr_hours", 6)]


def test_unchanged_files_are_skipped_and_removed_files_unloaded(con, folder) -> None:
    path = write_csv(folder / "team_holidays.csv", [["team", "holiday_date", "holiday_name"],
                                                    ["Network", "2026-12-24", "Office closed"]])
    (folder / "notes.txt").write_text("not a spreadsheet")
    (folder / "~$team_holidays.xlsx").write_bytes(b"excel lock file")
    (folder / "random.csv").write_text("a,b\n1,2\n")
    assert [(o.file, o.status) for o in load_folder(con, folder).outcomes] == [
        ("random.csv", "ignored"), ("team_holidays.csv", "loaded")]
    loaded_at = con.execute("select loaded_at from raw_spreadsheets._files").fetchone()
    assert [o.status for o in load_folder(con, folder).outcomes if o.kind] == ["unchanged"]
    assert con.execute("select loaded_at from raw_spreadsheets._files").fetchone() == loaded_at
    path.unlink()
    assert [o.status for o in load_folder(con, folder).outcomes if o.kind] == ["removed"]
    assert con.execute("select count(*) from raw_spreadsheets.team_holidays").fetchone() == (0,)
    assert con.execute("select count(*) from raw_spreadsheets._files").fetchone() == (0,)


def test_a_missing_folder_changes_nothing(con, tmp_path) -> None:
    from connectors.core.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        load_folder(con, tmp_path / "nowhere")
    assert "ITOPS_FILES_DIR" in str(raised.value) and "nothing was changed" in str(raised.value)


def test_the_sample_set_fits_the_synthetic_teams_and_loads_cleanly(con, tmp_path) -> None:
    report = load_folder(con, SAMPLES_DIR)
    assert {o.kind for o in report.outcomes} == set(KINDS)
    assert {o.status for o in report.outcomes} == {"loaded"}
    teams = {name for name, *_ in sample_teams()}
    assert teams == {name for name, *_ in TEAM_BLUEPRINTS}
    calendars = dict(con.execute("select distinct team, timezone from raw_spreadsheets.business_calendars"
                                 ).fetchall())
    assert calendars["Service Desk"] == "Europe/London" and calendars["Network"] == "Asia/Kolkata"
    assert set(calendars) == teams
    # The committed samples are what the generator writes.
    regenerated = tmp_path / "samples"
    write_samples(regenerated)
    again = duckdb.connect()
    try:
        load_folder(again, regenerated)
        for kind in KINDS:
            query = f"select * exclude (_loaded_at) from raw_spreadsheets.{kind} order by all"
            assert again.execute(query).fetchall() == con.execute(query).fetchall(), kind
    finally:
        again.close()


def test_templates_and_reference_docs_are_current_and_load(con, folder) -> None:
    assert DOC.read_text() == render_doc(DOC.read_text()), "run python -m connectors.spreadsheet_docs"
    for kind in KINDS.values():
        assert (TEMPLATES_DIR / f"{kind.name}.csv").read_text() == template_csv(kind)
        book = openpyxl.load_workbook(TEMPLATES_DIR / f"{kind.name}.xlsx", read_only=True)
        header = next(book.worksheets[0].iter_rows(values_only=True))
        book.close()
        assert list(header) == [c.name for c in kind.columns]
        shutil.copy(TEMPLATES_DIR / f"{kind.name}.xlsx", folder / f"{kind.name}.xlsx")
    report = load_folder(con, folder)
    assert {(o.file, o.status) for o in report.outcomes} == {(f"{k}.xlsx", "loaded") for k in KINDS}


def test_the_folder_sensor_runs_the_refresh_when_a_file_changes(folder, monkeypatch) -> None:
    from pipelines.defs.spreadsheets import spreadsheets_folder

    monkeypatch.delenv("ITOPS_FILES_DIR", raising=False)
    assert isinstance(spreadsheets_folder(dg.build_sensor_context()), dg.SkipReason)
    monkeypatch.setenv("ITOPS_FILES_DIR", str(folder))
    path = write_csv(folder / "sla_targets.csv", [["priority", "metric", "target_minutes", "business_hours"],
                                                  ["1", "response", "15", "false"]])
    first = spreadsheets_folder(dg.build_sensor_context(cursor=None))
    assert isinstance(first, dg.RunRequest)
    fingerprint = folder_fingerprint(folder)
    assert isinstance(spreadsheets_folder(dg.build_sensor_context(cursor=fingerprint)), dg.SkipReason)
    write_csv(path, [["priority", "metric", "target_minutes", "business_hours"], ["1", "response", "10", "false"]])
    changed = spreadsheets_folder(dg.build_sensor_context(cursor=fingerprint))
    assert isinstance(changed, dg.RunRequest) and changed.run_key != first.run_key


def test_the_asset_reports_what_is_in_force_and_warns_on_rejections(folder, monkeypatch, warehouse_path) -> None:
    from pipelines.defs.resources import WarehouseResource
    from pipelines.defs.spreadsheets import spreadsheets_files

    monkeypatch.setenv("ITOPS_FILES_DIR", str(folder))
    write_csv(folder / "sla_targets.csv", [["priority", "metric", "target_minutes", "business_hours"],
                                           ["1", "response", "15", "false"]])
    write_csv(folder / "team_holidays.csv", [["team", "holiday_date", "holiday_name"], ["Network", "24/12/2026", "x"]])
    result = dg.materialize([spreadsheets_files], resources={"warehouse": WarehouseResource(path=str(warehouse_path))})
    assert result.success
    materialized = {m.asset_key.path[-1]: m.metadata for m in result.asset_materializations_for_node(
        "spreadsheets_files")}
    assert materialized["sla_targets"]["rows_in_force"].value == 1
    assert materialized["team_holidays"]["rejected"].value == 1
    checks = {c.asset_key.path[-1]: c for c in result.get_asset_check_evaluations()}
    assert checks["sla_targets"].passed and not checks["team_holidays"].passed
    assert "row 2, column 'holiday_date'" in checks["team_holidays"].metadata["rejections"].value

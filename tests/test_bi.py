"""The BI layer end to end on the tiny org: a refresh publishes a read-only snapshot
(DuckDB + Parquet) and the KPI report; readers never see a partial snapshot; a failed
run changes nothing that was published; BI clients (SQLAlchemy as in Superset, Parquet
readers, the docs' queries) and a headless browser read what was published.

One refresh per test worker builds the shared state (``built``, session-scoped so that
other modules' tests running in between on the same worker do not rebuild it); tests that
refresh again work on a copy of it, so they can run in any order and on any worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.dataset as pads
import pytest

from connectors.fakes.base import Fault
from connectors.fakes.suite import FakeSuite, start_fakes
from pipelines.bi.publish import publish_snapshot
from pipelines.bi.report import write_report
from pipelines.definitions import build_definitions
from pipelines.runner import run_refresh
from tests.headless import chromium

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("ITOPS_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))
READY = "document.documentElement.getAttribute('data-ready') === 'true'"


@dataclass
class Built:
    root: Path
    suite: FakeSuite
    env: dict[str, str]

    @property
    def warehouse(self) -> Path:
        return self.root / "itops.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def published_db(self) -> Path:
        return self.published / "itops.duckdb"

    @property
    def report(self) -> Path:
        return self.root / "report" / "index.html"

    def copy(self, target: Path) -> Built:
        """The same warehouse, snapshot and report in another folder (links stay relative)."""
        shutil.copytree(self.root, target, symlinks=True)
        return Built(target, self.suite, {**self.env, "ITOPS_WAREHOUSE": str(target / "itops.duckdb")})


def _refresh(built: Built, monkeypatch: pytest.MonkeyPatch, **extra_env: str):
    for key, value in {**built.env, **extra_env}.items():
        monkeypatch.setenv(key, value)
    with dg.DagsterInstance.ephemeral() as instance:
        return run_refresh(build_definitions(), instance=instance)


@pytest.fixture(scope="session")
def built(tiny_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """A refresh from the fakes, ten days before the end of the history, with everything published."""
    root = tmp_path_factory.mktemp("bi")
    suite = start_fakes(tiny_store)
    try:
        suite.store.set_clock(suite.store.clock - timedelta(days=10))
        env = {**suite.env, "ITOPS_WAREHOUSE": str(root / "itops.duckdb"),
               "DAGSTER_HOME": str(tmp_path_factory.mktemp("dagster_home")),
               "ITOPS_HTTP_BACKOFF_FACTOR": "0.01", "ITOPS_HTTP_BACKOFF_MAX": "0.2"}
        state = Built(root, suite, env)
        with pytest.MonkeyPatch.context() as monkeypatch:
            outcome = _refresh(state, monkeypatch)
        assert outcome.success, outcome.error
        yield state
    finally:
        suite.stop()


def published_fingerprint(folder: Path) -> dict[str, str]:
    """Every file and link under ``folder``: content hashes and link targets."""
    prints = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                prints[key] = "-> " + os.readlink(path)
            elif path.is_file():
                prints[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


# -- the published snapshot -----------------------------------------------------------------------


def test_refresh_publishes_a_read_only_snapshot_of_marts_bi_and_reference(built: Built) -> None:
    published = built.published
    assert (published / "current").is_symlink()
    generation = (published / "current").resolve()
    assert generation.parent.name == "generations" and not generation.name.endswith(".partial")
    for name in ("itops.duckdb", "parquet", "snapshot.json"):
        assert os.readlink(published / name) == f"current/{name}"
    assert oct(built.published_db.resolve().stat().st_mode & 0o777) == "0o444"
    manifest = json.loads((published / "snapshot.json").read_text())
    assert manifest["snapshot_id"] == generation.name

    con = duckdb.connect(str(built.published_db), read_only=True)
    try:
        info = con.execute("select snapshot_id, storage_version from bi.snapshot_info").fetchall()
        assert info == [(generation.name, "v1.0.0")]
        schemas = {s for (s,) in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        assert schemas == {"marts", "bi", "reference"}, "raw, staging and intermediate are never published"
        counts = dict(con.execute("select schema_name || '.' || table_name, row_count from bi.snapshot_tables "
                                  "where kind = 'table'").fetchall())
        # Documented: every bi view and each of its columns carries its description.
        undocumented = con.execute(
            """select table_name || '.' || column_name from duckdb_columns()
               where schema_name = 'bi' and comment is null
                 and table_name not in ('snapshot_info', 'snapshot_tables')""").fetchall()
        assert undocumented == []
        views = {v for (v,) in con.execute("select view_name from duckdb_views() where schema_name = 'bi'").fetchall()}
        assert {"tickets", "incidents", "time_entries", "capacity", "projects", "people", "teams", "services",
                "calendar", "kpi_values", "kpi_latest"} <= views
        assert all(c for (c,) in con.execute("select comment from duckdb_views() where schema_name = 'bi'").fetchall())
    finally:
        con.close()
    work = duckdb.connect(str(built.warehouse), read_only=True)
    try:
        for table, rows in counts.items():
            if table.startswith("marts."):
                assert work.execute(f"select count(*) from {table}").fetchall()[0][0] == rows, table
    finally:
        work.close()
    assert counts["marts.fct_tickets"] > 0 and counts["marts.kpi_metrics"] > 0

    # The views bind in the snapshot's own catalog, whatever name a tool attaches it under.
    con = duckdb.connect()
    try:
        con.execute(f"attach '{built.published_db}' as dashboards (read_only)")
        con.execute("create schema marts; create table marts.fct_tickets as select 1 as decoy")
        assert con.execute("select count(*) from dashboards.bi.tickets").fetchall()[0][0] == counts["marts.fct_tickets"]
    finally:
        con.close()


def test_parquet_exports_match_the_snapshot_and_partition_large_facts_by_month(built: Built) -> None:
    manifest = json.loads((built.published / "snapshot.json").read_text())
    tables = {p["table"]: p for p in manifest["parquet"]}
    expected = {"fct_tickets", "fct_incidents", "fct_time_entries", "kpi_metrics", "dim_teams", "kpi_targets"}
    assert expected <= set(tables)
    assert tables["fct_tickets"]["partitioned_by"] == "opened_at"
    assert tables["fct_time_entries"]["partitioned_by"] == "entry_date"
    assert tables["dim_teams"]["partitioned_by"] is None
    tickets = built.published / "parquet" / "marts" / "fct_tickets"
    months = sorted(p.name for p in tickets.iterdir())
    assert months and all(re.fullmatch(r"month=\d{4}-\d{2}", m) for m in months)
    snapshot_id = manifest["snapshot_id"]
    assert all(snapshot_id in f.name for f in tickets.rglob("*.parquet"))
    # Read as a Parquet-only tool would (pyarrow, like pandas and Power BI's folder connector)...
    assert pads.dataset(tickets, format="parquet", partitioning="hive").count_rows() == tables["fct_tickets"]["rows"]
    # ...and the month folders hold the right months.
    con = duckdb.connect()
    try:
        wrong = con.execute(
            f"""select count(*) from read_parquet('{tickets}/**/*.parquet', hive_partitioning = true)
                where strftime(opened_at at time zone 'UTC', '%Y-%m') <> month""").fetchall()[0][0]
        assert wrong == 0
    finally:
        con.close()


def test_a_publish_that_fails_before_the_swap_changes_nothing(built: Built, tmp_path: Path) -> None:
    copy = built.copy(tmp_path / "copy")
    before = published_fingerprint(copy.published)
    with pytest.raises(RuntimeError, match="failure injected"):
        publish_snapshot(copy.warehouse, copy.published, fail_before_swap=True)
    assert published_fingerprint(copy.published) == before
    # And the next publish works, keeping the generation readers may still be on.
    previous = (copy.published / "current").resolve().name
    result = publish_snapshot(copy.warehouse, copy.published)
    assert {p.name for p in (copy.published / "generations").iterdir()} == {previous, result.snapshot_id}


def test_a_failed_refresh_leaves_the_published_snapshot_byte_identical(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = built.copy(tmp_path / "copy")
    before = published_fingerprint(copy.published)
    report_before = copy.report.read_bytes()

    def bad_priority(body: bytes) -> bytes:
        page = json.loads(body)
        page["result"][0]["priority"] = "9"  # not a priority: fct_tickets' accepted_values test fails
        return json.dumps(page).encode()

    faults = copy.suite.apis["servicenow"].faults
    faults.add(Fault("rewrite", path="/incident$", transform=bad_priority))
    try:
        # A long overlap re-reads every incident, so the bad record lands whatever the cursor.
        outcome = _refresh(copy, monkeypatch, ITOPS_OVERLAP_MINUTES=str(60 * 24 * 365))
    finally:
        faults.clear()
    assert not outcome.success
    assert outcome.failed_step == "dbt_models", outcome
    con = duckdb.connect(str(copy.warehouse), read_only=True)
    try:  # the working warehouse did take the bad data (the run failed after loading)...
        assert con.execute("select count(*) from marts.fct_tickets where priority = 9").fetchall()[0][0] == 1
    finally:
        con.close()
    # ...and nothing a reader can see changed, down to the byte.
    assert published_fingerprint(copy.published) == before
    assert copy.report.read_bytes() == report_before


def test_eight_readers_always_see_one_complete_snapshot_while_a_full_refresh_runs(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = built.copy(tmp_path / "copy")
    old_id = (copy.published / "current").resolve().name
    stop = tmp_path / "stop"
    outputs = [tmp_path / f"reader-{i}.jsonl" for i in range(8)]
    readers = [
        subprocess.Popen([sys.executable, str(ROOT / "tests" / "bi_reader.py"), str(copy.published), "itops.duckdb",
                          str(out), str(stop)], cwd=ROOT)
        for out in outputs
    ]

    def records() -> list[list[dict]]:
        return [[json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
                for out in outputs]

    try:
        deadline = time.monotonic() + 120
        while not all(records()) and time.monotonic() < deadline:
            time.sleep(0.1)
        # The next ten days of source activity: the new snapshot differs from the old one.
        copy.suite.store.set_clock(copy.suite.store.clock + timedelta(days=10))
        outcome = _refresh(copy, monkeypatch)
        assert outcome.success, outcome.error
        new_id = (copy.published / "current").resolve().name
        assert new_id != old_id
        deadline = time.monotonic() + 120  # each reader's next iteration opens the new snapshot
        while time.monotonic() < deadline and not all(
            any(r.get("snapshot_id") == new_id for r in reader) for reader in records()
        ):
            time.sleep(0.1)
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=60)
    seen = records()
    everything = [r for reader in seen for r in reader]
    assert [r["error"] for r in everything if "error" in r] == []
    assert [p for r in everything for p in r["problems"]] == []
    assert {r["snapshot_id"] for r in everything} <= {old_id, new_id}
    for reader in seen:  # every reader read the old snapshot, then the new one
        ids = [r["snapshot_id"] for r in reader]
        assert ids[0] == old_id and new_id in ids, ids
    print(f"8 readers: {len(everything)} consistent reads, {sum(r['snapshot_id'] == new_id for r in everything)} "
          f"of the new snapshot, 0 errors")
    old_counts = _ticket_counts(built.published_db)
    assert _ticket_counts(copy.published_db) > old_counts  # the refresh really brought new tickets


def _ticket_counts(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*) from marts.fct_tickets").fetchall()[0][0]
    finally:
        con.close()


# -- BI clients -----------------------------------------------------------------------------------


def test_superset_reads_the_bi_views_through_sqlalchemy_and_duckdb_engine(built: Built) -> None:
    import pandas as pd
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    # What Superset does with the URI from docs/bi.md: an engine, inspection, then SQL Lab queries.
    engine = sa.create_engine(f"duckdb:///{built.published_db}", connect_args={"read_only": True},
                              poolclass=NullPool)
    try:
        inspector = sa.inspect(engine)
        # duckdb-engine names schemas with their catalog (the file's stem): itops.bi
        assert "itops.bi" in inspector.get_schema_names()
        views = set(inspector.get_view_names(schema="bi"))
        assert {"kpi_values", "kpi_latest", "tickets", "teams"} <= views
        columns = {c["name"] for c in inspector.get_columns("kpi_values", schema="bi")}
        assert {"metric", "kpi_name", "period_start", "value", "status", "dimension_label"} <= columns
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "select kpi_name, value, status_label from bi.kpi_latest "
                "where grain = :grain and dimension = 'all' order by kpi_name"), {"grain": "month"}).fetchall()
            assert rows and all(name for name, _, _ in rows)
        frame = pd.read_sql("select team_name, count(*) as tickets from bi.tickets group by 1", engine)
        assert frame["tickets"].sum() == _ticket_counts(built.published_db)
    finally:
        engine.dispose()


def _doc_blocks() -> list[tuple[str, str, str]]:
    """(tested-as, language, code) for every block docs/bi.md marks with <!-- test: KIND -->."""
    text = (ROOT / "docs" / "bi.md").read_text()
    return re.findall(r"<!-- test: ([\w-]+) -->\s*```(\w+)\n(.*?)```", text, flags=re.S)


def test_every_client_in_docs_bi_has_a_query_that_runs(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _doc_blocks()
    assert {kind for kind, _, _ in blocks} >= {"metabase", "superset", "evidence", "parquet", "odbc", "python"}
    monkeypatch.chdir(built.root.parent)
    local = f"{built.root.name}/published/"
    for kind, language, code in blocks:
        code = code.replace("warehouse/published/", local)
        if language == "sql":
            con = duckdb.connect(str(built.published_db), read_only=True)
            try:
                rows = con.execute(code).fetchall()
            finally:
                con.close()
            assert rows, f"{kind}: the documented query returned nothing"
        elif language == "python":
            namespace: dict = {}
            exec(compile(code, f"docs/bi.md ({kind})", "exec"), namespace)
        else:
            pytest.fail(f"docs/bi.md: a tested block must be sql or python, not {language}")


# -- the report -----------------------------------------------------------------------------------


def _open_report(page, index: Path) -> None:
    page.navigate(index.resolve().as_uri())
    try:
        page.wait_for(READY)
    except TimeoutError as error:
        raise AssertionError(f"the report never became ready; console: {page.console_errors()}") from error


def _chart_health(page) -> dict:
    return page.evaluate("""(() => {
        const cards = [...document.querySelectorAll('article.kpi')];
        return {
          cards: cards.length,
          charts: cards.map(c => ({
            metric: c.dataset.metric,
            plotted: !!c.querySelector('.js-plotly-plot'),
            points: c.querySelectorAll('.scatterlayer .point').length,
            width: c.querySelector('.chart').getBoundingClientRect().width,
            cardWidth: c.getBoundingClientRect().width,
          })),
          families: [...document.querySelectorAll('section.family')].map(s => s.dataset.family),
          sources: [...document.querySelectorAll('#freshness .chip')].map(c => c.dataset.source),
          asof: document.getElementById('asof').textContent,
        };
    })()""")


def test_report_renders_in_headless_chromium_offline_without_errors(built: Built, tmp_path: Path) -> None:
    con = duckdb.connect(str(built.published_db), read_only=True)
    try:
        catalog = dict(con.execute("select metric, family from bi.kpi_catalog").fetchall())
        forecasts = {m for (m,) in con.execute("select metric from bi.kpi_catalog where kind = 'forecast'").fetchall()}
        sources = {s for (s,) in con.execute("select distinct source from bi.data_freshness").fetchall()}
    finally:
        con.close()
    assert {"servicenow", "harvest"} <= sources
    with chromium(tmp_path) as page:
        _open_report(page, built.report)
        health = _chart_health(page)
        # one card per KPI, except the forecast metrics, which share one card
        assert health["cards"] == len(catalog) - len(forecasts) + (1 if forecasts else 0)
        for chart in health["charts"]:
            assert chart["plotted"] and chart["points"] > 0, chart
            assert 0 < chart["width"] <= chart["cardWidth"], chart  # drawn inside its card
        assert set(health["families"]) == set(catalog.values())
        assert set(health["sources"]) == sources
        assert "Data as of" in health["asof"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(ARTIFACTS / "report.png")
        # Filters: the week view of one team redraws every chart, still without errors.
        page.evaluate("""document.querySelector('[data-grain=week]').click();
            const team = document.getElementById('filter-team');
            team.value = team.options[1].value; team.dispatchEvent(new Event('change'));""")
        page.wait_for(READY)
        assert page.evaluate("document.querySelectorAll('article.kpi .js-plotly-plot').length") > 0
        page.screenshot(ARTIFACTS / "report-week-team.png")
        page.pump(0.3)
        assert page.console_errors() == []
        assert [u for u in page.requested_urls() if not u.startswith("file://")] == []


def test_report_shows_every_kpi_family_and_forecast_as_metrics_arrive(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KPIs of every family (CSAT, budgets, availability, the 12-week capacity forecast)
    and a metric no family knows appear without a code change."""
    copy = built.copy(tmp_path / "copy")
    con = duckdb.connect(str(copy.warehouse))
    try:
        # the last measured periods (the build's own capacity forecast runs 12 weeks past them)
        month = con.execute("select max(period_start) from marts.kpi_metrics where grain = 'month' "
                            "and metric not like 'forecast%'").fetchall()[0][0]
        team = con.execute("select min(team_id) from marts.dim_teams").fetchall()[0][0]
        rows = []
        for back in range(3):
            start = date(month.year + (month.month - 1 - back) // 12, (month.month - 1 - back) % 12 + 1, 1)
            for metric, value, unit in [("csat_pct", 91.0 - back, "percent"), ("budget_variance_pct", -3.0 + back,
                                        "percent"), ("availability_pct", 99.9, "percent"),
                                        ("widgets_polished", 10.0 + back, "count")]:
                rows.append((metric, "month", start, "all", "all", None, None, value, unit, None, None))
            rows.append(("csat_pct", "month", start, "team", team, None, None, 88.0, "percent", None, None))
        week = con.execute("select max(period_start) from marts.kpi_metrics where grain = 'week' "
                           "and metric not like 'forecast%'").fetchall()[0][0]
        for ahead in range(1, 13):
            start = week + timedelta(weeks=ahead)
            rows.append(("forecast_capacity_hours", "week", start, "all", "all", None, None, 900.0, "hours", None,
                         None))
            rows.append(("forecast_scheduled_confirmed_hours", "week", start, "all", "all", None, None,
                         700.0 - 20 * ahead, "hours", None, None))
        # the values under test replace whatever the build computed for the same keys, and the
        # forecast under test replaces the build's whole forecast
        con.execute("delete from marts.kpi_metrics where metric like 'forecast%'")
        con.executemany("delete from marts.kpi_metrics where metric = ? and grain = ? and period_start = ? "
                        "and dimension = ? and dimension_value = ?", [row[:5] for row in rows])
        con.executemany("insert into marts.kpi_metrics values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    finally:
        con.close()
    monkeypatch.setenv("ITOPS_WAREHOUSE", str(copy.warehouse))
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--project-dir", "dbt_project", "--profiles-dir",
         "dbt_project", "--target-path", str(tmp_path / "dbt-target"), "--select", "path:models/bi"],
        cwd=ROOT, capture_output=True, text=True, env=os.environ.copy(), timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    publish_snapshot(copy.warehouse, copy.published)
    written = write_report(copy.published_db, copy.report.parent)
    with chromium(tmp_path) as page:
        _open_report(page, written.index)
        health = _chart_health(page)
        assert health["families"] == ["service_desk", "incidents", "people_capacity", "projects_budget",
                                      "satisfaction", "other"]
        names = page.evaluate("[...document.querySelectorAll('article.kpi h3')].map(h => h.firstChild.textContent)")
        assert {"CSAT %", "Budget variance %", "Availability %", "Widgets polished"} <= set(names)
        assert page.evaluate("document.getElementById('not-measured').hidden") is True
        forecast = next(c for c in health["charts"] if "forecast_capacity_hours" in (c["metric"] or ""))
        assert forecast["plotted"] and forecast["points"] == 24
        for chart in health["charts"]:
            assert chart["plotted"] and chart["points"] > 0, chart
        page.screenshot(ARTIFACTS / "report-all-families.png")
        assert page.console_errors() == []


def test_itops_serve_stops_on_sigterm_even_when_its_parent_ignores_it(tmp_path: Path) -> None:
    # SIG_IGN survives exec: a parent that ignores SIGTERM (some supervisors, some test
    # runners' workers) used to leave `itops serve` running after terminate().
    report = tmp_path / "report"
    report.mkdir()
    (report / "index.html").write_text("<html><body>report</body></html>")
    env = {**os.environ, "ITOPS_REPORT_DIR": str(report), "ITOPS_DAGSTER_URL": "http://127.0.0.1:9"}
    process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "serve", "--port", "0"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN))
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/", process.stdout.readline()).group(0)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert b"report" in response.read()
        process.terminate()
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_itops_serve_serves_the_report_and_links_dagster(built: Built) -> None:
    env = {**os.environ, **built.env, "ITOPS_DAGSTER_URL": "http://127.0.0.1:9"}
    process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "serve", "--port", "0"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        second = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", first).group(0)
        assert "Dagster UI:  http://127.0.0.1:9" in second and "not running" in second
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert "IT Operations KPIs" in page and "Pipeline runs" in page
        script = re.search(r'<script src="(assets/plotly-[^"]+)"', page).group(1)
        with urllib.request.urlopen(url + script, timeout=10) as response:
            assert response.status == 200 and len(response.read()) > 1_000_000
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stdout.close()


def test_publish_and_report_assets_run_after_every_model_in_the_refresh_job() -> None:
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    snapshot = dg.AssetKey(["published", "warehouse"])
    parents = graph.get(snapshot).parent_keys
    assert dg.AssetKey(["marts", "kpi_metrics"]) in parents and dg.AssetKey(["bi", "bi_kpi_values"]) in parents
    assert dg.AssetKey(["raw_servicenow", "incident"]) in parents
    assert graph.get(dg.AssetKey(["published", "kpi_report"])).parent_keys == {snapshot}
    job = defs.resolve_job_def("full_refresh")
    assert {snapshot, dg.AssetKey(["published", "kpi_report"])} <= set(job.asset_layer.executable_asset_keys)


def test_itops_help_lists_report_and_serve(capsys) -> None:
    from pipelines.cli import main as itops

    with pytest.raises(SystemExit):
        itops(["--help"])
    out = capsys.readouterr().out
    assert "report" in out and "serve" in out


def test_publish_refuses_when_a_check_of_the_run_failed_with_error_severity() -> None:
    """Even a non-blocking check (one that does not stop downstream steps) stops the publish."""
    from types import SimpleNamespace

    from pipelines.defs.publish import failed_error_checks

    @dg.asset
    def tickets() -> None:
        return None

    @dg.asset_check(asset=tickets, blocking=False)
    def no_duplicates() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR)

    @dg.asset_check(asset=tickets, blocking=False)
    def volume_dip() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([tickets, no_duplicates, volume_dip], instance=instance, raise_on_error=False)
        context = SimpleNamespace(instance=instance, run_id=result.run_id)
        assert failed_error_checks(context) == ["tickets:no_duplicates"]

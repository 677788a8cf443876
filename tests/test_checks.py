"""Data checks: volume and quarantine per stream fire on empty and thin loads; mart
freshness fires on stale marts, through the sensor that evaluates it, and its failure is
alerted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry

from connectors.core.landing import StreamSpec, ensure_raw_table
from connectors.core.warehouse import open_writer
from connectors.harvest import HarvestConnector
from pipelines.definitions import build_definitions
from pipelines.defs.checks import FRESHNESS_SENSOR, mart_freshness_checks, quarantine_outcome, volume_outcome
from pipelines.defs.sensors import CHECK_FAILURE_SENSOR
from pipelines.project import dagster_home
from tests.webhook import WebhookReceiver

TIME_ENTRIES = next(s for s in HarvestConnector.stream_specs() if s.name == "time_entries")
USERS = next(s for s in HarvestConnector.stream_specs() if s.name == "users")


@pytest.fixture
def con(warehouse_path) -> Iterator[duckdb.DuckDBPyConnection]:
    with open_writer(warehouse_path) as connection:
        yield connection


def add_rows(con, spec: StreamSpec, n: int, deleted: int = 0) -> None:
    ensure_raw_table(con, spec)
    con.execute(
        f"""insert into {spec.table} (id, updated_at, record, _is_deleted, _loaded_at, _batch_id)
            select 'r' || i, now(), '{{}}', i < ?, now(), 'b' from range(?) t(i)""", [deleted, n])


def add_load(con, spec: StreamSpec, started: datetime, rows: int, *, mode: str = "incremental",
             quarantined: int = 0, status: str = "succeeded") -> str:
    batch = f"{spec.name}.{started:%Y%m%dT%H%M%S}.{rows}"
    con.execute(
        """insert into raw_meta.load_runs (batch_id, source, stream, mode, started_at, finished_at, status,
                                           rows_loaded, rows_quarantined)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [batch, spec.source, spec.name, mode, started, started + timedelta(minutes=3), status, rows, quarantined])
    for i in range(quarantined):
        con.execute("insert into raw_meta.quarantine values (?, ?, ?, ?, ?, ?)",
                    [spec.source, spec.name, batch, "unparseable timestamp: yesterday" if i % 2 else
                     "missing primary key", "{}", started])
    return batch


def nightly(day: int) -> datetime:
    return datetime(2026, 10, 1, 2, 0, tzinfo=UTC) + timedelta(days=day)


# -- volume ---------------------------------------------------------------------------------------


def test_volume_warns_on_an_empty_table(con) -> None:
    outcome = volume_outcome(con, TIME_ENTRIES, "UTC")
    assert not outcome.passed and outcome.severity == dg.AssetCheckSeverity.WARN
    assert "holds no rows" in outcome.description
    assert not volume_outcome(con, USERS, "UTC").passed  # reference data too


def test_volume_judges_from_the_first_load_after_the_initial_pull(con) -> None:
    add_rows(con, TIME_ENTRIES, 50)
    add_load(con, TIME_ENTRIES, nightly(0), 5_000)  # the initial history pull
    assert volume_outcome(con, TIME_ENTRIES, "UTC").passed
    add_load(con, TIME_ENTRIES, nightly(1), 0)  # then a nightly pull that brought nothing
    outcome = volume_outcome(con, TIME_ENTRIES, "UTC")
    assert not outcome.passed and "no rows landed on 2026-10-02" in outcome.description


def test_volume_warns_under_a_fifth_of_the_14_day_median(con) -> None:
    add_rows(con, TIME_ENTRIES, 500)
    add_load(con, TIME_ENTRIES, nightly(0), 20_000)
    for day, rows in enumerate([100, 90, 110, 120, 95, 105, 100, 98, 102, 100, 97, 103, 99, 101], start=1):
        add_load(con, TIME_ENTRIES, nightly(day), rows)
    add_load(con, TIME_ENTRIES, nightly(15), 15)
    outcome = volume_outcome(con, TIME_ENTRIES, "UTC")
    assert not outcome.passed and outcome.severity == dg.AssetCheckSeverity.WARN
    assert outcome.metadata["median_14d"] == 100.0 and outcome.metadata["rows"] == 15
    assert "under 20%" in outcome.description
    # A rerun later the same day adds to the day: 15 + 4 is still thin, 15 + 4 + 30 is not.
    add_load(con, TIME_ENTRIES, nightly(15) + timedelta(hours=6), 4)
    assert not volume_outcome(con, TIME_ENTRIES, "UTC").passed
    add_load(con, TIME_ENTRIES, nightly(15) + timedelta(hours=8), 30)
    assert volume_outcome(con, TIME_ENTRIES, "UTC").passed


def test_volume_ignores_backfills_failures_and_quiet_reference_data(con) -> None:
    add_rows(con, TIME_ENTRIES, 10)
    add_rows(con, USERS, 10)
    add_load(con, TIME_ENTRIES, nightly(0), 1_000)
    for day in range(1, 5):
        add_load(con, TIME_ENTRIES, nightly(day), 100)
    add_load(con, TIME_ENTRIES, nightly(5), 100)
    add_load(con, TIME_ENTRIES, nightly(5) + timedelta(hours=1), 0, mode="backfill")
    add_load(con, TIME_ENTRIES, nightly(6), 0, status="failed")
    assert volume_outcome(con, TIME_ENTRIES, "UTC").passed
    add_load(con, USERS, nightly(5), 0)  # nobody changed: normal for reference data
    assert volume_outcome(con, USERS, "UTC").passed


# -- quarantine -----------------------------------------------------------------------------------


def test_quarantine_warns_on_any_and_errs_above_the_ratio(con, monkeypatch) -> None:
    assert quarantine_outcome(con, TIME_ENTRIES).passed
    add_load(con, TIME_ENTRIES, nightly(0), 998, quarantined=2)
    outcome = quarantine_outcome(con, TIME_ENTRIES)
    assert not outcome.passed and outcome.severity == dg.AssetCheckSeverity.WARN
    assert "2 of 1,000 records quarantined" in outcome.description
    assert "1 x missing primary key" in outcome.metadata["top_reasons"]
    add_load(con, TIME_ENTRIES, nightly(1), 90, quarantined=10)
    assert quarantine_outcome(con, TIME_ENTRIES).severity == dg.AssetCheckSeverity.ERROR
    monkeypatch.setenv("ITOPS_QUARANTINE_ERROR_RATIO", "0.5")
    assert quarantine_outcome(con, TIME_ENTRIES).severity == dg.AssetCheckSeverity.WARN
    add_load(con, TIME_ENTRIES, nightly(2), 100)
    assert quarantine_outcome(con, TIME_ENTRIES).passed


# -- freshness ------------------------------------------------------------------------------------


def materialized_at(instance: dg.DagsterInstance, key: dg.AssetKey, moment: datetime) -> None:
    """Record that ``key`` was last rebuilt at ``moment`` (as a run would have)."""
    instance.store_event(EventLogEntry(
        error_info=None, level="debug", user_message="", run_id="fixture-run", timestamp=moment.timestamp(),
        dagster_event=DagsterEvent(DagsterEventType.ASSET_MATERIALIZATION.value, job_name="full_refresh",
                                   event_specific_data=StepMaterializationData(dg.AssetMaterialization(key))),
    ))


def evaluate_requested_checks(defs: dg.Definitions, instance: dg.DagsterInstance,
                              request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    """Run what the freshness sensor asked for, as the daemon would."""
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(), asset_check_selection=set(request.asset_check_keys))
    return job.execute_in_process(instance=instance, tags=request.tags)


def test_stale_marts_fail_freshness_through_the_sensor_and_are_alerted(monkeypatch) -> None:
    receiver = WebhookReceiver()
    monkeypatch.setenv("ITOPS_ALERT_WEBHOOK_URL", receiver.url)
    dagster_home()
    defs = build_definitions()
    marts = sorted({key.asset_key for key in defs.resolve_asset_graph().asset_check_keys
                    if key.name == "freshness_check"}, key=lambda k: k.to_user_string())
    assert dg.AssetKey(["marts", "kpi_metrics"]) in marts and len(marts) >= 7
    now = datetime.now(UTC)
    try:
        with dg.DagsterInstance.get() as instance:
            for key in marts:
                materialized_at(instance, key, now - timedelta(hours=40))  # the nightly stopped
            materialized_at(instance, dg.AssetKey(["marts", "dim_date"]), now - timedelta(hours=2))
            sensor = defs.resolve_sensor_def(FRESHNESS_SENSOR)
            request = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
            assert isinstance(request, dg.RunRequest) and len(request.asset_check_keys) == len(marts)
            result = evaluate_requested_checks(defs, instance, request)
            verdicts = {e.asset_key.to_user_string(): (e.passed, e.severity)
                        for e in result.get_asset_check_evaluations()}
            assert verdicts.pop("marts/dim_date") == (True, dg.AssetCheckSeverity.ERROR)
            assert set(verdicts.values()) == {(False, dg.AssetCheckSeverity.ERROR)}

            (success,) = instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_SUCCESS)
            alert_sensor = defs.resolve_sensor_def(CHECK_FAILURE_SENSOR)
            alert_sensor(dg.build_run_status_sensor_context(
                sensor_name=CHECK_FAILURE_SENSOR, dagster_event=success.dagster_event, dagster_instance=instance,
                dagster_run=instance.get_run_by_id(result.run_id)))
        (sent,) = receiver.received
    finally:
        receiver.stop()
    message = sent.json()
    assert message["event"] == "itops.check_failure" and message["job"] == "freshness checks"
    assert {(c["asset"], c["check"]) for c in message["checks"]} == {
        (key, "freshness_check") for key in verdicts}
    assert message["run_url"].endswith(f"/runs/{result.run_id}")


def test_fresh_marts_pass_and_the_allowed_age_is_configurable(monkeypatch) -> None:
    dagster_home()
    monkeypatch.setenv("ITOPS_FRESHNESS_HOURS", "48")
    defs = build_definitions()
    marts = {key.asset_key for key in defs.resolve_asset_graph().asset_check_keys if key.name == "freshness_check"}
    with dg.DagsterInstance.get() as instance:
        for key in marts:
            materialized_at(instance, key, datetime.now(UTC) - timedelta(hours=40))
        request = defs.resolve_sensor_def(FRESHNESS_SENSOR)(dg.build_sensor_context(instance=instance,
                                                                                     definitions=defs))
        result = evaluate_requested_checks(defs, instance, request)
    assert {e.passed for e in result.get_asset_check_evaluations()} == {True}


def test_a_mart_can_allow_its_own_age() -> None:
    kpi, weekly = dg.AssetKey(["marts", "kpi_metrics"]), dg.AssetKey(["marts", "fct_weekly"])
    checks = mart_freshness_checks({kpi: None, weekly: 200.0})
    bounds = {}
    for definition in checks:
        for spec in definition.check_specs:
            params = spec.metadata["dagster/freshness_params"]
            params = params.value if hasattr(params, "value") else params
            bounds[spec.asset_key] = json.loads(json.dumps(params))["lower_bound_delta_seconds"]
    assert bounds == {kpi: 36 * 3600, weekly: 200 * 3600}

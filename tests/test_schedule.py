"""The nightly schedule: one run request per scheduled day, keyed by that day in the
schedule's zone (so the daemon never launches a day twice), running the refresh job
with its timeout; and the jobs' selections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._utils.schedules import cron_string_iterator

from pipelines.definitions import build_definitions
from pipelines.defs.jobs import MAX_RUNTIME_TAG, WRITER_TAG
from pipelines.defs.schedules import SCHEDULE_NAME, fires_more_than_daily, run_key


def ticks(schedule: dg.ScheduleDefinition, start: datetime, count: int) -> list[datetime]:
    """The schedule's next ``count`` tick times after ``start``, as the daemon computes them."""
    iterator = cron_string_iterator(start.timestamp(), schedule.cron_schedule, schedule.execution_timezone)
    return [next(iterator) for _ in range(count)]


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/New_York"])
def test_one_run_request_per_day_with_the_days_run_key(monkeypatch, zone) -> None:
    monkeypatch.setenv("ITOPS_TIMEZONE", zone)
    schedule = build_definitions().resolve_schedule_def(SCHEDULE_NAME)
    assert schedule.cron_schedule == "0 2 * * *" and schedule.execution_timezone == zone
    # Ten ticks across the end of daylight saving time (25 Oct in Europe, 1 Nov in the US).
    start = datetime(2026, 10, 23, tzinfo=ZoneInfo(zone))
    keys = []
    for tick in ticks(schedule, start, 10):
        result = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick))
        (request,) = result.run_requests
        assert request.tags["itops/scheduled_day"] == tick.strftime("%Y-%m-%d")
        keys.append(request.run_key)
    assert keys == [f"nightly-2026-10-{day:02d}" for day in range(23, 32)] + ["nightly-2026-11-01"]
    # Evaluating a day's tick again (a daemon restart) asks for the same run key: Dagster skips it.
    again = schedule.evaluate_tick(dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 10, 25, 2, 0, tzinfo=ZoneInfo(zone))))
    assert again.run_requests[0].run_key == "nightly-2026-10-25"


def test_schedule_reads_cron_and_zone_and_a_sub_daily_cron_keys_each_tick(monkeypatch) -> None:
    monkeypatch.setenv("ITOPS_SCHEDULE_CRON", "0 */6 * * *")
    monkeypatch.setenv("ITOPS_TIMEZONE", "Europe/Paris")
    schedule = build_definitions().resolve_schedule_def(SCHEDULE_NAME)
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 */6 * * *", "Europe/Paris")
    keys = [schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=t)).run_requests[0].run_key
            for t in ticks(schedule, datetime(2026, 3, 3, tzinfo=ZoneInfo("Europe/Paris")), 4)]
    assert keys == ["nightly-2026-03-03T0000", "nightly-2026-03-03T0600", "nightly-2026-03-03T1200",
                    "nightly-2026-03-03T1800"]
    assert fires_more_than_daily("0 */6 * * *", "UTC") and not fires_more_than_daily("30 1 * * 1-5", "UTC")
    assert run_key(datetime(2026, 1, 2, 3, 4)) == "nightly-2026-01-02"


def test_the_nightly_job_refreshes_enabled_sources_builds_dbt_runs_checks_with_a_timeout(monkeypatch) -> None:
    monkeypatch.setenv("HARVEST_ACCOUNT_ID", "1")
    monkeypatch.setenv("HARVEST_ACCESS_TOKEN", "not-used-here")
    monkeypatch.setenv("ITOPS_RUN_TIMEOUT_SECONDS", "7200")
    defs = build_definitions()
    job = defs.resolve_job_def("full_refresh")
    assert job.tags[MAX_RUNTIME_TAG] == "7200" and job.tags[WRITER_TAG] == "writer"
    assert job.partitions_def is None
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert {"raw_harvest/time_entries", "raw_harvest/users", "staging/stg_harvest__users", "marts/kpi_metrics"} <= keys
    assert not any(k.startswith(("raw_servicenow/", "history/")) for k in keys)  # not configured / not nightly
    checks = {(c.asset_key.to_user_string(), c.name) for c in job.asset_layer.asset_graph.asset_check_keys}
    assert ("raw_harvest/time_entries", "volume") in checks and ("marts/kpi_metrics", "freshness_check") in checks
    assert not any(asset.startswith("raw_servicenow/") for asset, _ in checks)
    assert any(name.startswith("unique_fct_tickets") for _, name in checks)  # dbt tests are checks

    backfill = defs.resolve_job_def("history_backfill")
    assert backfill.partitions_def is not None and backfill.tags[MAX_RUNTIME_TAG] == str(24 * 3600)
    keys = {key.to_user_string() for key in backfill.asset_layer.executable_asset_keys}
    assert {"history/harvest/time_entries", "raw_harvest/users", "raw_harvest/projects", "marts/kpi_metrics"} <= keys
    assert "raw_harvest/time_entries" not in keys  # the incremental pull of facts is the nightly's
    history = defs.resolve_assets_def(dg.AssetKey(["history", "harvest", "time_entries"]))
    assert history.backfill_policy == dg.BackfillPolicy.single_run()
    assert history.partitions_def.get_first_partition_key() is not None
    # Complete UTC days only: today is the nightly's.
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    assert history.partitions_def.get_last_partition_key() == yesterday

"""The nightly refresh: cron and time zone from the environment, one run per scheduled day."""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster._utils.schedules import cron_string_iterator

from connectors.core.config import env

DEFAULT_CRON = "0 2 * * *"
SCHEDULE_NAME = "nightly_refresh"
SCHEDULED_DAY_TAG = "itops/scheduled_day"


def fires_more_than_daily(cron: str, timezone: str) -> bool:
    """True when the cron has two ticks within one day (e.g. ``0 */6 * * *``)."""
    ticks = cron_string_iterator(datetime(2026, 1, 5).timestamp(), cron, timezone)
    first, second = next(ticks), next(ticks)
    return second - first < timedelta(days=1)


def run_key(tick: datetime, *, per_tick: bool = False) -> str:
    """``nightly-YYYY-MM-DD`` (the tick's day in the schedule's zone), so the daemon never
    launches a day twice, even if a tick is evaluated again. A cron that fires several
    times a day gets the tick's time too, so that each of its ticks runs."""
    return f"nightly-{tick:%Y-%m-%d}" + (f"T{tick:%H%M}" if per_tick else "")


def nightly_schedule(job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    cron = env("ITOPS_SCHEDULE_CRON", DEFAULT_CRON)
    timezone = env("ITOPS_TIMEZONE", "UTC")
    per_tick = fires_more_than_daily(cron, timezone)

    @dg.schedule(job=job, cron_schedule=cron, execution_timezone=timezone, name=SCHEDULE_NAME,
                 description=f"KPI refresh at '{cron}' ({timezone}): every enabled source incrementally, "
                             "dbt build and tests, checks; one run per scheduled day.",
                 default_status=dg.DefaultScheduleStatus.RUNNING)
    def nightly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = context.scheduled_execution_time
        return dg.RunRequest(run_key=run_key(tick, per_tick=per_tick),
                             tags={SCHEDULED_DAY_TAG: f"{tick:%Y-%m-%d}"})

    return nightly_refresh

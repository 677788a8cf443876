"""The nightly refresh: cron and time zone from the environment, one run per scheduled day."""


import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from connectors.core.config import env

DEFAULT_CRON = "0 2 * * *"


def nightly_schedule(job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    cron = env("ITOPS_SCHEDULE_CRON", DEFAULT_CRON)
    timezone = env("ITOPS_TIMEZONE", "UTC")

    @dg.schedule(job=job, cron_schedule=cron, execution_timezone=timezone, name="nightly_refresh",
                 description=f"Nightly KPI refresh at '{cron}' ({timezone}); one run per scheduled day.",
                 default_status=dg.DefaultScheduleStatus.RUNNING)
    def nightly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = context.scheduled_execution_time.strftime("%Y-%m-%d")
        # The run key makes a tick for the same day idempotent: Dagster never launches it twice.
        return dg.RunRequest(run_key=f"nightly-{day}", tags={"itops/scheduled_day": day})

    return nightly_refresh

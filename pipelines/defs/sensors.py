"""Alert sensors: a failed run, or error-severity checks failing in a run that succeeded.

A failed run gets one message naming the failed step, its error's first line and the
error checks that failed with it; a successful run whose error checks failed (a
freshness evaluation, a quarantine spike) gets one message listing them. Warnings
(volume, a few quarantined records) are never alerted: they are on the asset pages and
in ``itops status``. Without ``ITOPS_ALERT_WEBHOOK_URL`` the sensors only log.
"""

from __future__ import annotations

import dagster as dg
from dagster._core.events import DagsterEventType

from pipelines.alerts import Alert, FailedCheck, send
from pipelines.runner import failure_summary

RUN_FAILURE_SENSOR = "alert_on_run_failure"
CHECK_FAILURE_SENSOR = "alert_on_failed_checks"


def failed_error_checks(instance: dg.DagsterInstance, run_id: str) -> list[FailedCheck]:
    """Error-severity checks whose last evaluation in the run failed."""
    latest: dict[tuple[str, str], FailedCheck | None] = {}
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        key = (evaluation.asset_key.to_user_string(), evaluation.check_name)
        failed = not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
        latest[key] = FailedCheck(key[0], key[1], "ERROR", evaluation.description or "") if failed else None
    return [check for check in latest.values() if check is not None]


def job_label(job_name: str) -> str:
    # Runs the freshness sensor launches execute Dagster's implicit asset job.
    return "freshness checks" if job_name.startswith("__ASSET_JOB") else job_name


def run_failure_alert(instance: dg.DagsterInstance, run: dg.DagsterRun, failure_message: str | None) -> Alert:
    events = [entry.dagster_event for entry in instance.all_logs(
        run.run_id, of_type={DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_UP_FOR_RETRY})]
    step, message = failure_summary(events)
    if step is None and failure_message:
        # No step failed: the run itself did (timeout, cancellation, a crashed worker).
        message = failure_message
    return Alert("run_failure", job=job_label(run.job_name), run_id=run.run_id, step=step, error=message,
                 checks=failed_error_checks(instance, run.run_id))


def alert_sensors() -> list[dg.SensorDefinition]:
    @dg.run_failure_sensor(name=RUN_FAILURE_SENSOR, default_status=dg.DefaultSensorStatus.RUNNING,
                           minimum_interval_seconds=30,
                           description="Posts a failed run (job, failed step, error, link) to ITOPS_ALERT_WEBHOOK_URL.")
    def alert_on_run_failure(context: dg.RunFailureSensorContext):
        message = context.failure_event.message if context.failure_event else None
        alert = run_failure_alert(context.instance, context.dagster_run, message)
        if not send(alert):
            context.log.info(f"no alert webhook configured (ITOPS_ALERT_WEBHOOK_URL); not sent: {alert.title}")

    @dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, name=CHECK_FAILURE_SENSOR,
                          default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=30,
                          description="Posts error-severity checks that failed in a successful run.")
    def alert_on_failed_checks(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        checks = failed_error_checks(context.instance, run.run_id)
        if not checks:
            return
        alert = Alert("check_failure", job=job_label(run.job_name), run_id=run.run_id, checks=checks)
        if not send(alert):
            context.log.info(f"no alert webhook configured (ITOPS_ALERT_WEBHOOK_URL); not sent: {alert.title}")

    return [alert_on_run_failure, alert_on_failed_checks]

"""Alerts: a failed run makes the failure sensor post to a webhook (here a local receiver)
with the job, the failed step, the error's first line and a link to the run, and no secret;
Slack and Teams get their own formats; delivery problems never leak the webhook URL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType

from pipelines.alerts import Alert, AlertDeliveryError, FailedCheck, alert_kind, payload, send
from pipelines.definitions import build_definitions
from pipelines.defs.sensors import CHECK_FAILURE_SENSOR, RUN_FAILURE_SENSOR
from pipelines.project import dagster_home
from pipelines.runner import run_refresh
from tests.webhook import WebhookReceiver

WRONG_TOKEN = "wrong-token-5f1e9c2a7d"
HOOK_SECRET = "T000/B000/hook-secret-9d8c7b"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    try:
        yield hook
    finally:
        hook.stop()


def failure_context(instance: dg.DagsterInstance, run_id: str, sensor_name: str) -> dg.RunFailureSensorContext:
    run = instance.get_run_by_id(run_id)
    (failure,) = instance.all_logs(run_id, of_type=DagsterEventType.RUN_FAILURE)
    return dg.build_run_status_sensor_context(
        sensor_name=sensor_name, dagster_event=failure.dagster_event, dagster_instance=instance, dagster_run=run,
    ).for_run_failure()


@pytest.mark.slow
def test_failed_run_posts_an_alert_with_job_step_error_and_link_but_no_secret(fakes, monkeypatch, receiver) -> None:
    monkeypatch.setenv("HARVEST_ACCESS_TOKEN", WRONG_TOKEN)
    monkeypatch.setenv("ITOPS_ALERT_WEBHOOK_URL", f"{receiver.url}/hooks/{HOOK_SECRET}")
    monkeypatch.setenv("ITOPS_ALERT_KIND", "webhook")
    monkeypatch.setenv("ITOPS_DAGSTER_URL", "https://dagster.example.internal/")
    dagster_home()
    defs = build_definitions()
    with dg.DagsterInstance.get() as instance:
        outcome = run_refresh(defs, sources=["harvest"], instance=instance)
        assert not outcome.success
        sensor = defs.resolve_sensor_def(RUN_FAILURE_SENSOR)
        sensor(failure_context(instance, outcome.run_id, RUN_FAILURE_SENSOR))

    assert len(receiver.received) == 1
    sent = receiver.received[0]
    assert sent.path == f"/hooks/{HOOK_SECRET}" and sent.headers["content-type"] == "application/json"
    message = sent.json()
    assert message["event"] == "itops.run_failure"
    assert message["job"] == "full_refresh"
    assert message["step"] == "harvest_streams"
    assert message["run_id"] == outcome.run_id
    assert message["run_url"] == f"https://dagster.example.internal/runs/{outcome.run_id}"
    assert message["error"].startswith("harvest/users: HTTP 401") and "\n" not in message["error"]
    assert "HARVEST_ACCESS_TOKEN" in message["error"]  # the next step names the variable, never its value
    assert "full_refresh" in message["title"] and "harvest_streams" in message["title"]
    text = sent.body.decode()
    for secret in (WRONG_TOKEN, fakes.env["SERVICENOW_PASSWORD"], HOOK_SECRET):
        assert secret not in text


def test_slack_and_teams_payloads_carry_the_same_facts() -> None:
    alert = Alert("run_failure", job="full_refresh", run_id="abcd-1234", step="dbt_models",
                  error="Error in model fct_tickets (models/marts/core/fct_tickets.sql)\n  more detail",
                  checks=[FailedCheck("marts/fct_tickets", "unique_fct_tickets_ticket_key", "ERROR", "1 duplicate")])
    slack = payload(alert, "slack")
    blocks = {block["type"]: block for block in slack["blocks"] if block["type"] != "section"}
    assert blocks["header"]["text"]["text"] == "itops: run of full_refresh failed in step dbt_models"
    facts, error = (block for block in slack["blocks"] if block["type"] == "section")
    fields = " ".join(f["text"] for f in facts["fields"])
    assert error["text"]["text"] == "```Error in model fct_tickets (models/marts/core/fct_tickets.sql)```"
    assert "*Job*\nfull_refresh" in fields and "*Failed step*\ndbt_models" in fields
    assert "unique_fct_tickets_ticket_key" in fields
    assert blocks["actions"]["elements"][0]["url"].endswith("/runs/abcd-1234")
    assert "more detail" not in json.dumps(slack)  # the error's first line only

    teams = payload(alert, "teams")
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    facts = {f["title"]: f["value"] for f in card["content"]["body"][1]["facts"]}
    assert facts["Job"] == "full_refresh" and facts["Failed step"] == "dbt_models"
    assert card["content"]["actions"][0] == {"type": "Action.OpenUrl", "title": "Open the run in Dagster",
                                             "url": "http://127.0.0.1:3000/runs/abcd-1234"}


def test_alert_text_is_redacted_of_every_secret_in_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_API_TOKEN", "zd-secret-token-77")
    alert = Alert("run_failure", job="full_refresh", run_id="r1", step="zendesk_streams",
                  error="zendesk/tickets: HTTP 401 for https://acme.zendesk.com?token=zd-secret-token-77")
    text = json.dumps(payload(alert, "webhook"))
    assert "zd-secret-token-77" not in text and "HTTP 401" in text


def test_kind_is_told_from_the_url_unless_set(monkeypatch) -> None:
    assert alert_kind("https://hooks.slack.com/services/T/B/x") == "slack"
    assert alert_kind("https://acme.webhook.office.com/webhookb2/x") == "teams"
    assert alert_kind("https://prod-00.westus.logic.azure.com/workflows/x") == "teams"
    assert alert_kind("https://alerts.example.com/itops") == "webhook"
    monkeypatch.setenv("ITOPS_ALERT_KIND", "teams")
    assert alert_kind("https://alerts.example.com/itops") == "teams"
    monkeypatch.setenv("ITOPS_ALERT_KIND", "pager")
    with pytest.raises(ValueError, match="ITOPS_ALERT_KIND"):
        alert_kind("https://alerts.example.com/itops")


def test_no_webhook_means_no_alert_and_a_refused_one_fails_without_leaking_the_url(monkeypatch) -> None:
    alert = Alert("check_failure", job="full_refresh", run_id="r2",
                  checks=[FailedCheck("marts/kpi_metrics", "freshness_check", "ERROR", "overdue")])
    assert send(alert) is False
    hook = WebhookReceiver(status=400)
    try:
        monkeypatch.setenv("ITOPS_ALERT_WEBHOOK_URL", f"{hook.url}/hooks/{HOOK_SECRET}")
        with pytest.raises(AlertDeliveryError) as failure:
            send(alert)
    finally:
        hook.stop()
    assert "HTTP 400" in str(failure.value) and HOOK_SECRET not in str(failure.value)
    assert hook.received and hook.received[0].json()["event"] == "itops.check_failure"


def test_check_alert_sensor_stays_quiet_when_no_error_check_failed(monkeypatch, receiver) -> None:
    """A successful run whose checks passed (or only warned) posts nothing."""
    monkeypatch.setenv("ITOPS_ALERT_WEBHOOK_URL", receiver.url)

    @dg.asset
    def numbers() -> int:
        return 1

    @dg.asset_check(asset=numbers)
    def warns() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)

    dagster_home()
    sensor = build_definitions().resolve_sensor_def(CHECK_FAILURE_SENSOR)
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([numbers, warns], instance=instance)
        (evaluation,) = instance.all_logs(result.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
        assert not evaluation.dagster_event.event_specific_data.passed
        (success,) = instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_SUCCESS)
        context = dg.build_run_status_sensor_context(
            sensor_name=CHECK_FAILURE_SENSOR, dagster_event=success.dagster_event, dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id))
        sensor(context)
    assert receiver.received == []

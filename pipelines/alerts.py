"""Alert messages for failed runs and failed checks, posted to Slack, Microsoft Teams or
any JSON webhook.

Configuration (environment):

* ``ITOPS_ALERT_WEBHOOK_URL``: the incoming-webhook URL (unset: alerts are off).
* ``ITOPS_ALERT_KIND``: ``slack``, ``teams`` or ``webhook`` (generic JSON); unset, the
  kind is told from the URL's host.
* ``ITOPS_DAGSTER_URL``: the Dagster UI the message links to (default http://127.0.0.1:3000).

Every text that goes into a message passes through :func:`connectors.core.config.redact`
after every secret-looking environment variable (and the webhook URL itself, which is a
credential) has been registered, so no credential can reach a chat channel.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from connectors.core.config import env, redact, register_secret

log = logging.getLogger("itops.alerts")

KINDS = ("slack", "teams", "webhook")
DEFAULT_DAGSTER_URL = "http://127.0.0.1:3000"
#: environment variables whose values are credentials, whatever source they belong to
SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|PASSWD|SECRET|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|WEBHOOK_URL)$")


class AlertDeliveryError(RuntimeError):
    """The webhook did not accept the alert (the sensor tick fails and is retried)."""


@dataclass(frozen=True)
class FailedCheck:
    asset: str
    check: str
    severity: str
    description: str = ""


@dataclass
class Alert:
    """One alert: a failed run (``run_failure``) or a run whose error checks failed (``check_failure``)."""

    kind: str
    job: str
    run_id: str
    step: str | None = None
    error: str | None = None
    checks: list[FailedCheck] = field(default_factory=list)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def url(self) -> str:
        return run_url(self.run_id)

    @property
    def title(self) -> str:
        if self.kind == "run_failure":
            where = f" in step {self.step}" if self.step else ""
            return f"itops: run of {self.job} failed{where}"
        names = ", ".join(f"{c.asset} {c.check}" for c in self.checks[:3])
        more = f" and {len(self.checks) - 3} more" if len(self.checks) > 3 else ""
        return f"itops: {len(self.checks)} failed check(s) in {self.job}: {names}{more}"

    def redacted(self) -> Alert:
        register_env_secrets()
        return Alert(
            kind=self.kind, job=self.job, run_id=self.run_id,
            step=self.step, error=redact(first_line(self.error)) if self.error else None,
            checks=[FailedCheck(redact(c.asset), redact(c.check), c.severity, redact(first_line(c.description)))
                    for c in self.checks],
            at=self.at,
        )


def first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:500]
    return ""


def run_url(run_id: str) -> str:
    return f"{(env('ITOPS_DAGSTER_URL', DEFAULT_DAGSTER_URL) or DEFAULT_DAGSTER_URL).rstrip('/')}/runs/{run_id}"


def register_env_secrets() -> None:
    """Register every credential-looking environment variable for redaction.

    Alerts are sent from the Dagster daemon or webserver process, where no connector
    may have read (and so registered) its secrets yet.
    """
    for name, value in os.environ.items():
        if SECRET_NAME.search(name.upper()) and value:
            register_secret(value)


def alert_kind(url: str) -> str:
    """``ITOPS_ALERT_KIND``, or the kind told from the webhook's host."""
    kind = (env("ITOPS_ALERT_KIND") or "").strip().lower()
    if kind in ("generic", "json"):
        kind = "webhook"
    if kind:
        if kind not in KINDS:
            raise ValueError(f"ITOPS_ALERT_KIND={kind!r}: use one of {', '.join(KINDS)}")
        return kind
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith("slack.com"):
        return "slack"
    if host.endswith(("webhook.office.com", "logic.azure.com", "powerplatform.com", "powerautomate.com")):
        return "teams"
    return "webhook"


# -- payloads -------------------------------------------------------------------------------------


def _facts(alert: Alert) -> list[tuple[str, str]]:
    facts = [("Job", alert.job), ("Run", alert.run_id)]
    if alert.step:
        facts.append(("Failed step", alert.step))
    for check in alert.checks:
        facts.append((f"Failed check ({check.severity.lower()})", f"{check.asset} {check.check}"))
    return facts


def _detail(alert: Alert) -> str:
    if alert.error:
        return alert.error
    return "\n".join(f"{c.asset} {c.check}: {c.description}" for c in alert.checks if c.description)


def slack_payload(alert: Alert) -> dict:
    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": alert.title[:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{esc(value)}"}
                                       for name, value in _facts(alert)[:10]]},
    ]
    detail = _detail(alert)
    if detail:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{esc(detail)[:2900]}```"}})
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Open the run in Dagster"}, "url": alert.url}]})
    return {"text": f"{alert.title}: {detail} <{alert.url}|open the run>", "blocks": blocks}


def teams_payload(alert: Alert) -> dict:
    """An Adaptive Card message, the format Teams workflows (and legacy connectors) accept."""
    body: list[dict] = [
        {"type": "TextBlock", "text": alert.title, "weight": "Bolder", "size": "Medium", "wrap": True,
         "color": "Attention"},
        {"type": "FactSet", "facts": [{"title": name, "value": value} for name, value in _facts(alert)]},
    ]
    detail = _detail(alert)
    if detail:
        body.append({"type": "TextBlock", "text": detail, "wrap": True, "fontType": "Monospace"})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open the run in Dagster", "url": alert.url}],
    }
    return {"type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                             "content": card}]}


def webhook_payload(alert: Alert) -> dict:
    return {
        "event": f"itops.{alert.kind}",
        "title": alert.title,
        "job": alert.job,
        "run_id": alert.run_id,
        "run_url": alert.url,
        "step": alert.step,
        "error": alert.error,
        "checks": [{"asset": c.asset, "check": c.check, "severity": c.severity, "description": c.description}
                   for c in alert.checks],
        "timestamp": alert.at.isoformat(),
    }


PAYLOADS = {"slack": slack_payload, "teams": teams_payload, "webhook": webhook_payload}


def payload(alert: Alert, kind: str) -> dict:
    return PAYLOADS[kind](alert.redacted())


# -- delivery -------------------------------------------------------------------------------------


def _session() -> requests.Session:
    session = requests.Session()
    retry = Retry(total=3, backoff_factor=1.0, status_forcelist=(429, 500, 502, 503, 504),
                  allowed_methods=frozenset({"POST"}), respect_retry_after_header=True, raise_on_status=False)
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


def send(alert: Alert, *, url: str | None = None, kind: str | None = None, timeout: float = 15.0) -> bool:
    """Post the alert; False when no webhook is configured. Raises :class:`AlertDeliveryError`."""
    url = url or env("ITOPS_ALERT_WEBHOOK_URL")
    if not url:
        return False
    register_secret(url)  # a webhook URL is a credential: never in a log line or an error
    kind = kind or alert_kind(url)
    body = json.dumps(payload(alert, kind))
    try:
        with _session() as session:
            response = session.post(url, data=body, timeout=timeout,
                                    headers={"Content-Type": "application/json", "User-Agent": "itops-kpi alerts"})
    except requests.RequestException as exc:
        raise AlertDeliveryError(redact(f"alert webhook ({kind}) unreachable: {exc}")) from None
    if response.status_code >= 300:
        raise AlertDeliveryError(
            f"alert webhook ({kind}) answered HTTP {response.status_code}: {redact(response.text[:200])}")
    log.info("alert sent (%s): %s", kind, redact(alert.title))
    return True

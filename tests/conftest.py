"""Shared fixtures: a tiny synthetic org, the fake APIs over it, a private warehouse per test.

Every test gets its own environment (monkeypatched), warehouse file and Dagster home;
fakes listen on 127.0.0.1 only and are stopped by the fixture (and by themselves after
an hour at most).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from connectors.fakes.suite import FakeSuite, start_fakes
from connectors.synthetic import OrgSpec, generate

#: A fixed end of history keeps every test's data identical, day after day.
END_DATE = date(2026, 11, 1)

SOURCE_ENV_PREFIXES = ("SERVICENOW_", "HARVEST_", "JIRA_", "ZENDESK_", "PAGERDUTY_", "RUNN_", "ITOPS_")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials or settings leak in from the developer's shell or between tests."""
    for key in list(os.environ):
        if key.startswith(SOURCE_ENV_PREFIXES):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ITOPS_WAREHOUSE", str(tmp_path / "warehouse" / "itops.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    # Retries stay real but fast: backoff in milliseconds, not seconds.
    monkeypatch.setenv("ITOPS_HTTP_BACKOFF_FACTOR", "0.01")
    monkeypatch.setenv("ITOPS_HTTP_BACKOFF_MAX", "0.2")


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny org (24 people, 2 months), generated once per test worker."""
    return generate(OrgSpec(seed=7, profile="tiny", end_date=END_DATE), tmp_path_factory.mktemp("org") / "tiny.duckdb")


@pytest.fixture
def fakes(tiny_store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSuite]:
    """Fake ServiceNow and Harvest over the tiny org, with the connectors pointed at them."""
    suite = start_fakes(tiny_store)
    for key, value in suite.env.items():
        monkeypatch.setenv(key, value)
    try:
        yield suite
    finally:
        suite.stop()


@pytest.fixture
def pagerduty(tiny_store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSuite]:
    """Only the fake PagerDuty over the tiny org (``pagerduty.apis["pagerduty"]``), its own
    store (so tests may move the clock), with the connector pointed at it."""
    suite = start_fakes(tiny_store, sources=["pagerduty"])
    for key, value in suite.env.items():
        monkeypatch.setenv(key, value)
    try:
        yield suite
    finally:
        suite.stop()


@pytest.fixture
def warehouse_path() -> Path:
    return Path(os.environ["ITOPS_WAREHOUSE"])


@pytest.fixture
def zendesk(tiny_store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSuite]:
    """Fake Zendesk alone over the tiny org, with the connector pointed at it. Its 10/min
    export limit is lifted (and the connector's budget with it) so tests stay fast; tests
    about rate limits set their own with ``set_rate_limits``."""
    suite = start_fakes(tiny_store, sources=["zendesk"])
    suite.apis["zendesk"].set_rate_limits(export=None)
    for key, value in suite.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ZENDESK_MAX_EXPORT_REQUESTS_PER_MINUTE", "100000")
    try:
        yield suite
    finally:
        suite.stop()

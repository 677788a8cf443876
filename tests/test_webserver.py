"""`dagster-webserver` on the project's workspace serves the asset graph, the checks, the
schedule and the sensors: started on 127.0.0.1 and asked through its GraphQL API."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]

QUERY = """
{
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        name
        location { name }
        schedules { name cronSchedule executionTimezone scheduleState { status } }
        sensors { name sensorType sensorState { status } }
        jobs { name }
      }
    }
  }
  assetNodes {
    assetKey { path }
    isPartitioned
    assetChecksOrError { ... on AssetChecks { checks { name } } }
  }
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_webserver_serves_asset_graph_checks_schedule_and_sensors(tmp_path) -> None:
    port = free_port()
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    # `timeout` stops the server by itself even if this test dies before its cleanup.
    server = subprocess.Popen(
        ["timeout", "300", str(Path(sys.executable).with_name("dagster-webserver")), "-w", "workspace.yaml",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-3000:]
            try:
                if requests.get(f"{base}/server_info", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "dagster-webserver did not answer within 240 s"
            time.sleep(0.5)
        while True:  # the code location loads after the server answers
            answer = requests.post(f"{base}/graphql", json={"query": QUERY}, timeout=60).json()
            repositories = answer["data"]["repositoriesOrError"].get("nodes") or []
            if repositories or time.monotonic() > deadline:
                break
            time.sleep(1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)

    assert "errors" not in answer, answer.get("errors")
    (repository,) = repositories
    assert repository["location"]["name"] == "pipelines.definitions"
    schedule = next(s for s in repository["schedules"] if s["name"] == "nightly_refresh")
    assert schedule["cronSchedule"] == "0 2 * * *"
    assert schedule["executionTimezone"] == "UTC" and schedule["scheduleState"]["status"] == "RUNNING"
    sensors = {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]}
    assert sensors.items() >= {"alert_on_run_failure": "RUNNING", "alert_on_failed_checks": "RUNNING",
                               "mart_freshness_sensor": "RUNNING"}.items()
    assert {"full_refresh", "history_backfill"} <= {job["name"] for job in repository["jobs"]}

    nodes = {"/".join(n["assetKey"]["path"]): n for n in answer["data"]["assetNodes"]}
    assert {"raw_servicenow/incident", "raw_harvest/time_entries", "staging/stg_servicenow__incidents",
            "marts/fct_tickets", "marts/kpi_metrics"} <= set(nodes)
    assert nodes["history/servicenow/incident"]["isPartitioned"]
    assert not nodes["raw_servicenow/incident"]["isPartitioned"]

    def checks(key: str) -> set[str]:
        return {c["name"] for c in nodes[key]["assetChecksOrError"]["checks"]}

    assert {"volume", "quarantine"} <= checks("raw_servicenow/incident")
    assert "freshness_check" in checks("marts/kpi_metrics")
    assert any(name.startswith("unique_fct_tickets") for name in checks("marts/fct_tickets"))

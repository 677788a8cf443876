"""The in-process runner: a run whose process died is marked failed and frees its pools,
so the next `itops refresh` does not wait for it forever; errors read as one line."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRunStatus

from pipelines.project import dagster_home
from pipelines.runner import PID_TAG, _without_class, process_tags, reap_orphaned_runs


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def started_run(instance: dg.DagsterInstance, name: str, tags: dict[str, str]) -> str:
    job = dg.GraphDefinition(name).to_job()
    return instance.create_run_for_job(job, tags=tags, status=DagsterRunStatus.STARTED).run_id


def test_runs_of_dead_processes_are_failed_and_release_their_pool_slots() -> None:
    dagster_home()
    with dg.DagsterInstance.get() as instance:
        instance.event_log_storage.set_concurrency_slots("source_harvest", 1)
        orphan = started_run(instance, "killed", {**process_tags(), PID_TAG: str(dead_pid())})
        alive = started_run(instance, "running", process_tags())
        claim = instance.event_log_storage.claim_concurrency_slot("source_harvest", orphan, "harvest_streams")
        assert claim.is_claimed

        assert reap_orphaned_runs(instance) == [orphan]
        assert instance.get_run_by_id(orphan).status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive).status == DagsterRunStatus.STARTED  # this process lives on
        assert instance.event_log_storage.get_concurrency_info("source_harvest").active_slot_count == 0
        assert reap_orphaned_runs(instance) == []


def test_error_messages_lose_their_class_prefix() -> None:
    assert _without_class("dagster._core.definitions.events.Failure: harvest/users: HTTP 401", "Failure") \
        == "harvest/users: HTTP 401"
    assert _without_class("a: b", "Failure") == "a: b"

"""What the fake ServiceNow derives from each incident's history, checked over the wire
against independent computations: state durations (metric_instance) cover each incident's
life without gaps; task_sla pauses are the time On Hold, elapsed times and breaches follow
from them (24x7 and on the 8-5 weekdays schedule, worked out here with zoneinfo); a priority
change cancels an SLA and attaches the new one; changes and surveys follow the org."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import requests

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def rows_of(suite, table: str) -> list[dict]:
    env = suite.env
    response = requests.get(
        f"{env['SERVICENOW_INSTANCE_URL']}/api/now/table/{table}",
        params={"sysparm_limit": "100000", "sysparm_exclude_reference_link": "true"},
        auth=(env["SERVICENOW_USERNAME"], env["SERVICENOW_PASSWORD"]), timeout=30,
    )
    response.raise_for_status()
    return response.json()["result"]


def at(text: str) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) if text else None


def seconds(glide: str) -> int:
    """A glide duration ('1970-01-03 04:05:06') in seconds."""
    return int((at(glide) - EPOCH).total_seconds())


def working_seconds(start: datetime, end: datetime, tz: str) -> int:
    """Seconds of Monday-Friday 08:00-17:00 (local time in ``tz``) between two instants."""
    zone, total = ZoneInfo(tz), 0.0
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    while day <= last:
        if day.weekday() < 5:
            lo = max(start, datetime.combine(day, time(8), zone))
            hi = min(end, datetime.combine(day, time(17), zone))
            total += max((hi - lo).total_seconds(), 0)
        day += timedelta(days=1)
    return int(total)


def sla_clock(start: datetime, end: datetime, on_schedule: bool, tz: str) -> int:
    """Seconds an SLA clock runs between two instants: on the 8-5 weekdays schedule, or around the clock."""
    return working_seconds(start, end, tz) if on_schedule else int((end - start).total_seconds())


def state_intervals(suite) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for row in rows_of(suite, "metric_instance"):
        if row["field"] == "incident_state":
            out[row["id"]].append(row)
    for rows in out.values():
        rows.sort(key=lambda r: (r["start"], r["sys_id"]))
    return out


def on_hold_clock(suite) -> datetime:
    """A moment an hour into the longest hold of the last week (some SLAs are paused then)."""
    holds = [r for rows in state_intervals(suite).values() for r in rows
             if r["value"] == "On Hold" and r["end"] and at(r["start"]) > suite.store.clock - timedelta(days=7)]
    longest = max(holds, key=lambda r: seconds(r["duration"]))
    assert seconds(longest["duration"]) > 2 * 3600
    return at(longest["start"]) + timedelta(hours=1)


@pytest.fixture(params=["end", "mid-hold"])
def clocked(request, fakes):
    """The fakes at the end of history, and at a moment when incidents are open and on hold."""
    if request.param == "mid-hold":
        fakes.store.set_clock(on_hold_clock(fakes))
    return fakes


def test_state_durations_cover_each_incidents_life_without_gaps(clocked) -> None:
    incidents = {r["sys_id"]: r for r in rows_of(clocked, "incident")}
    intervals = state_intervals(clocked)
    assert set(intervals) == set(incidents)
    open_now = 0
    for sys_id, rows in intervals.items():
        incident = incidents[sys_id]
        assert rows[0]["start"] == incident["opened_at"]  # from creation ...
        for before, after in pairwise(rows):
            assert before["end"] == after["start"]  # ... with neither gap nor overlap ...
            assert before["field_value"] != after["field_value"]  # ... one row per state change
        for row in rows:
            if row["end"]:
                assert row["calculation_complete"] == "true"
                assert seconds(row["duration"]) == (at(row["end"]) - at(row["start"])).total_seconds()
        last = rows[-1]
        assert last["field_value"] == incident["state"]  # ... to the state it is in now
        if incident["state"] in ("7", "8"):  # inactive: a closing zero-length interval
            assert last["start"] == last["end"] == incident["closed_at"]
        else:
            assert last["end"] == "" and last["calculation_complete"] == "false"
            assert last["sys_updated_on"] == last["start"]
            open_now += 1
    assert open_now > 0


def test_assignment_group_durations_follow_the_incident_until_it_closes(clocked) -> None:
    incidents = {r["sys_id"]: r for r in rows_of(clocked, "incident")}
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows_of(clocked, "metric_instance"):
        if row["field"] == "assignment_group":
            groups[row["id"]].append(row)
    assert set(groups) == set(incidents)
    for sys_id, rows in groups.items():
        rows.sort(key=lambda r: r["start"])
        incident = incidents[sys_id]
        assert rows[0]["start"] == incident["opened_at"]
        assert all(a["end"] == b["start"] for a, b in pairwise(rows))
        assert rows[-1]["field_value"] == incident["assignment_group"]
        assert rows[-1]["end"] == (incident["closed_at"] if incident["state"] in ("7", "8") else "")


def test_task_sla_pauses_elapsed_times_and_breaches_follow_the_history(clocked) -> None:
    clock = clocked.store.clock
    definitions = {r["sys_id"]: r for r in rows_of(clocked, "contract_sla")}
    holds: dict[str, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for rows in state_intervals(clocked).values():
        for row in rows:
            if row["value"] == "On Hold":
                holds[row["id"]].append((at(row["start"]), at(row["end"])))
    slas = rows_of(clocked, "task_sla")
    paused = scheduled = breached = 0
    for sla in slas:
        definition = definitions[sla["sla"]]
        target = seconds(definition["duration"])
        start, measured = at(sla["start_time"]), at(sla["end_time"] or sla["sys_updated_on"])
        tz, on_schedule = sla["timezone"], bool(definition["schedule"])
        # The SLA pauses while its incident is On Hold (resolution SLAs), up to where it is measured.
        pauses = []
        if definition["target"] == "resolution":
            pauses = [(h0, min(h1 or measured, measured)) for h0, h1 in holds[sla["task"]] if start <= h0 < measured]
        pause = sum((b - a).total_seconds() for a, b in pauses)
        assert seconds(sla["pause_duration"]) == pause, sla
        assert seconds(sla["duration"]) == (measured - start).total_seconds() - pause, sla
        assert seconds(sla["business_pause_duration"]) == sum(
            sla_clock(a, b, on_schedule, tz) for a, b in pauses), sla
        assert seconds(sla["business_duration"]) == sla_clock(start, measured, on_schedule, tz) - sum(
            sla_clock(a, b, on_schedule, tz) for a, b in pauses), sla
        scheduled += on_schedule

        def active(moment: datetime, start=start, pauses=pauses, on_schedule=on_schedule, tz=tz) -> int:
            """Time the SLA clock ran from its start to ``moment``: on its schedule, pauses excluded."""
            return sla_clock(start, moment, on_schedule, tz) - sum(
                sla_clock(a, min(b, moment), on_schedule, tz) for a, b in pauses if a < moment)

        # Due when the running clock reaches the target, and not a second earlier.
        if not definition["schedule"]:
            assert at(sla["original_breach_time"]) == start + timedelta(seconds=target)
        assert sla_clock(start, at(sla["original_breach_time"]), on_schedule, tz) == target
        due = at(sla["planned_end_time"])
        if sla["stage"] != "paused":
            assert active(due) == target and active(due - timedelta(seconds=1)) == target - 1, sla
        if sla["stage"] in ("completed", "cancelled"):
            assert sla["active"] == "false" and sla["end_time"]
            assert sla["has_breached"] == ("true" if due < measured else "false"), sla
        else:
            assert sla["active"] == "true" and not sla["end_time"]
            on_hold_now = any(h1 is None for _, h1 in holds[sla["task"]])
            assert sla["stage"] == ("paused" if on_hold_now and definition["target"] == "resolution"
                                    else "in_progress"), sla
            if sla["stage"] == "paused":
                paused += 1
                assert sla["pause_time"] == max(h0 for h0, h1 in holds[sla["task"]] if h1 is None).strftime(
                    "%Y-%m-%d %H:%M:%S")
            else:
                assert sla["has_breached"] == ("true" if due <= clock else "false"), sla
        breached += sla["has_breached"] == "true"
        assert at(sla["sys_updated_on"]) <= clock
    assert scheduled and breached and any(seconds(s["pause_duration"]) for s in slas)
    if clock != datetime.combine(clocked.store.end_date, time(), UTC):
        assert paused  # the mid-hold clock catches SLAs paused


def test_a_priority_change_cancels_the_sla_and_attaches_the_new_priority_retroactively(fakes) -> None:
    # Priority changes while the incident was still unresolved (a change to the same priority,
    # clipped at 1 or 5, is no change).
    changes = fakes.store.query("""
        with history as (
            select e.*, lag(e.priority) over (partition by e.ticket_id order by e.seq) as before,
                   min(e.event_at) filter (where e.status in ('resolved', 'closed', 'canceled'))
                       over (partition by e.ticket_id) as stopped_at
            from ticket_events e join tickets t using (ticket_id)
            where t.source = 'servicenow' and not e.is_deleted
        )
        select md5('incident:' || cast(h.ticket_id as varchar)), h.event_at, t.opened_at, h.before, h.priority
        from history h join tickets t using (ticket_id)
        where h.priority <> h.before and h.event_at < coalesce(h.stopped_at, 'infinity'::timestamptz)""")
    assert changes
    definitions = {r["sys_id"]: r for r in rows_of(fakes, "contract_sla")}
    by_task: dict[str, list[dict]] = defaultdict(list)
    for sla in rows_of(fakes, "task_sla"):
        by_task[sla["task"]].append(sla)
    stamp = "%Y-%m-%d %H:%M:%S"
    for incident, changed_at, opened_at, old, new in changes:
        resolution = sorted((s for s in by_task[incident] if definitions[s["sla"]]["target"] == "resolution"),
                            key=lambda s: s["sys_created_on"])
        first, second = resolution  # one per priority in force
        assert definitions[first["sla"]]["name"].startswith(f"P{old} ")
        assert first["stage"] == "cancelled" and first["end_time"] == changed_at.strftime(stamp)
        assert definitions[second["sla"]]["name"].startswith(f"P{new} ")
        assert second["sys_created_on"] == changed_at.strftime(stamp)
        assert second["start_time"] == opened_at.strftime(stamp)  # retroactive start


def test_change_requests_follow_the_changes_lifecycle(fakes) -> None:
    truth = {row[0]: row for row in fakes.store.query(
        "select 'CHG' || lpad(cast(change_id as varchar), 7, '0'), outcome, closed_at, work_start_at, work_end_at, "
        "planned_start_at from changes")}
    served = rows_of(fakes, "change_request")
    assert {r["number"] for r in served} == set(truth)
    stamp = "%Y-%m-%d %H:%M:%S"
    for row in served:
        _, outcome, closed_at, work_start, work_end, planned_start = truth[row["number"]]
        assert row["start_date"] == planned_start.strftime(stamp)
        if closed_at is None:
            assert row["state"] in ("-3", "-2", "-1", "0") and row["close_code"] == "" and row["active"] == "true"
        elif outcome == "canceled":
            assert (row["state"], row["close_code"], row["work_start"]) == ("4", "", "")
        else:
            assert (row["state"], row["close_code"]) == ("3", outcome)
            assert (row["work_start"], row["work_end"]) == (work_start.strftime(stamp), work_end.strftime(stamp))
            assert row["closed_at"] == closed_at.strftime(stamp) == row["sys_updated_on"]


def test_survey_results_carry_actual_and_string_values_as_servicenow_does(fakes) -> None:
    questions = {r["sys_id"]: r["name"] for r in rows_of(fakes, "asmt_metric")}
    instances = {r["sys_id"]: r for r in rows_of(fakes, "asmt_assessment_instance")}
    results = rows_of(fakes, "asmt_metric_result")
    truth = {row[0]: row[1:] for row in fakes.store.query("""
        select md5('incident:' || cast(c.ticket_id as varchar)), c.score, c.recommend_score, c.comment
        from csat_responses c join tickets t using (ticket_id) where t.source = 'servicenow'""")}
    answered = defaultdict(dict)
    for result in results:
        answered[result["source_id"]][questions[result["metric"]]] = result
        assert instances[result["instance"]]["state"] == "complete"
    assert set(answered) == set(truth)
    labels = {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neutral", 4: "Satisfied", 5: "Very satisfied"}
    for incident, (score, recommend, comment) in truth.items():
        got = answered[incident]
        assert (got["satisfaction"]["actual_value"], got["satisfaction"]["string_value"]) == (str(score),
                                                                                          labels[score])
        if recommend is None:
            assert (got["recommend"]["actual_value"], got["recommend"]["string_value"]) == ("-1", "N/A")
        else:
            assert (got["recommend"]["actual_value"], got["recommend"]["string_value"]) == (str(recommend),) * 2
        if comment:
            assert (got["comments"]["actual_value"], got["comments"]["string_value"]) == ("-1", comment)
        else:
            assert "comments" not in got
    # Surveys not answered within 30 days of being sent expire.
    for instance in instances.values():
        if instance["state"] == "canceled":
            assert at(instance["sys_updated_on"]) == at(instance["sys_created_on"]) + timedelta(days=30)

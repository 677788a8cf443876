"""SQL building blocks of the fake ServiceNow's tables (DuckDB SQL over the org store).

Every table the fake serves is a snapshot query over the org store *as of* ``$clock``;
these helpers render ServiceNow's wire conventions (every value a string, ``""`` for
empty, UTC ``YYYY-MM-DD HH:MM:SS`` datetimes, glide durations as an offset from the
epoch) and the arithmetic of an SLA schedule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: ServiceNow incident state codes for the org's canonical statuses.
STATE_CODE = "case {s} when 'new' then '1' when 'in_progress' then '2' when 'on_hold' then '3' " \
             "when 'resolved' then '6' when 'closed' then '7' when 'canceled' then '8' end"
#: Display values of the incident states (what metric_instance.value shows).
STATE_LABEL = "case {s} when 'new' then 'New' when 'in_progress' then 'In Progress' when 'on_hold' then 'On Hold' " \
              "when 'resolved' then 'Resolved' when 'closed' then 'Closed' when 'canceled' then 'Canceled' end"

#: Placeholder for another snapshot a table's SQL reads: ``@snap(name)`` is replaced by
#: the materialised table of the internal definition ``name`` (built first, same clock).
SNAP_REF = re.compile(r"@snap\((\w+)\)")


@dataclass(frozen=True)
class TableDef:
    """A table the fake serves: a snapshot query (over the org store, using ``$clock``)
    and its fields, each ``(name, reference_table or None)``, in the order the API returns them.

    ``parent`` names the column holding the sys_id of the incident a row belongs to, for
    tables whose rows are deleted along with their incident (cascade delete).
    """

    snapshot_sql: str
    fields: list[tuple[str, str | None]]
    parent: str | None = None


def sys_id(kind: str, column: str) -> str:
    """The deterministic sys_id of a synthetic entity, as SQL (NULL when ``column`` is NULL)."""
    return f"md5('{kind}:' || cast({column} as varchar))"


def ref(kind: str, column: str) -> str:
    """A reference field: the sys_id, or ``""`` when there is nothing to refer to."""
    return f"coalesce({sys_id(kind, column)}, '')"


def ts(column: str) -> str:
    """A datetime in DB-value form (UTC), ``""`` when NULL."""
    return f"coalesce(strftime({column}, '%Y-%m-%d %H:%M:%S'), '')"


def flag(condition: str) -> str:
    return f"case when {condition} then 'true' else 'false' end"


def text(column: str) -> str:
    """Any value as the Table API sends it: a string, ``""`` when NULL."""
    return f"coalesce(cast({column} as varchar), '')"


def glide_duration(seconds: str) -> str:
    """A duration field: ``1970-01-01 HH:MM:SS`` offset from the epoch (days roll into the date)."""
    return (f"case when {seconds} is null then '' else strftime(timestamp '1970-01-01' + "
            f"to_seconds(cast(round({seconds}) as bigint)), '%Y-%m-%d %H:%M:%S') end")


def decimal(value: str, places: int = 2) -> str:
    return f"case when {value} is null then '' else cast(round({value}, {places}) as varchar) end"


# -- SLA schedules ---------------------------------------------------------------------------------
# An "8-5 weekdays" schedule (Monday-Friday, 08:00-17:00 in a time zone) turns an instant into
# "working seconds since a reference Monday": the schedule's own time axis. Durations on the
# schedule are differences on that axis, and adding a target to an instant is the inverse map.

SCHEDULE_DAY_START = 8 * 3600
SCHEDULE_DAY_SECONDS = 9 * 3600
SCHEDULE_WEEK_SECONDS = 5 * SCHEDULE_DAY_SECONDS
_REFERENCE_MONDAY = "2000-01-03"


def work_seconds(moment: str, tz: str) -> str:
    """Working seconds of the 8-5 weekdays schedule in ``tz`` between the reference Monday and ``moment``."""
    local = f"({moment} at time zone {tz})"
    days = f"date_diff('day', date '{_REFERENCE_MONDAY}', cast({local} as date))"
    second_of_day = f"(epoch({local}) - epoch(date_trunc('day', {local})))"
    in_day = (f"case when {days} % 7 < 5 then least(greatest({second_of_day} - {SCHEDULE_DAY_START}, 0), "
              f"{SCHEDULE_DAY_SECONDS}) else 0 end")
    return f"(({days} // 7) * {SCHEDULE_WEEK_SECONDS} + least({days} % 7, 5) * {SCHEDULE_DAY_SECONDS} + {in_day})"


def from_work_seconds(position: str, tz: str) -> str:
    """The instant at which the schedule's axis reaches ``position`` (the inverse of :func:`work_seconds`).

    A position on a day boundary maps to the end of the earlier working day (17:00),
    not the start of the next one: a target of 9 working hours from Monday 08:00 is
    due Monday 17:00.
    """
    before = f"(cast({position} as bigint) - 1)"
    week, rest = f"({before} // {SCHEDULE_WEEK_SECONDS})", f"({before} % {SCHEDULE_WEEK_SECONDS})"
    local = (f"(timestamp '{_REFERENCE_MONDAY}' + to_days(cast({week} * 7 + {rest} // {SCHEDULE_DAY_SECONDS} "
             f"as integer)) + to_seconds({SCHEDULE_DAY_START} + {rest} % {SCHEDULE_DAY_SECONDS} + 1))")
    return f"timezone({tz}, {local})"


def axis(moment: str, scheduled: str, tz: str) -> str:
    """An instant on an SLA's time axis: working seconds when it has a schedule, else epoch seconds."""
    return f"(case when {scheduled} then {work_seconds(moment, tz)} else epoch({moment}) end)"


def from_axis(position: str, scheduled: str, tz: str) -> str:
    return (f"(case when {position} is null then null when {scheduled} then {from_work_seconds(position, tz)} "
            f"else to_timestamp({position}) end)")

"""The spreadsheet file kinds: their columns, types and rules (the contract in docs/spreadsheets.md).

A file's kind is the start of its name (``budgets_2026.xlsx`` is a ``budgets`` file).
Every kind declares its columns; a column has a type checked on the text of each cell,
and the kind adds rules over typed rows (exactly one of two columns, no overlapping
periods, one time zone per team...). ``docs/spreadsheets.md`` and the template files in
``samples/spreadsheets/templates/`` are generated from, and tested against, these
definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SOURCES = ("servicenow", "jira", "zendesk", "pagerduty", "harvest", "runn", "spreadsheets")


@dataclass(frozen=True)
class Column:
    """One column of a file kind.

    ``type`` is one of: text, integer, decimal, date, boolean, email, choice, time
    (``HH:MM``, ``24:00`` allowed), timezone (IANA name), period (``2026``, ``2026-Q1``,
    ``2026-03``), currency (ISO 4217 code), weekday (mon..sun), weekdays (a comma list).
    """

    name: str
    type: str
    required: bool = True
    description: str = ""
    example: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    #: the minimum itself is not allowed (hours per week must be > 0)
    exclusive_minimum: bool = False


@dataclass(frozen=True)
class RowRule:
    """A rule every typed row must satisfy: ``ok`` is SQL over the row's typed columns."""

    ok: str
    column: str
    message: str
    #: the rule as the documentation states it
    rule: str = ""


@dataclass(frozen=True)
class FileKind:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    #: no two rows (of any file of this kind) may share these values
    unique: tuple[str, ...]
    rules: tuple[RowRule, ...] = ()
    #: extra stored columns derived from the typed ones: name -> (SQL, DuckDB type)
    derived: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: no two rows with the same ``overlap_key`` may overlap on ``overlap_span`` (start, end: SQL over typed
    #: columns; inclusive dates, or half-open [start, end) when ``half_open``); ``overlap_column`` is blamed
    overlap_key: tuple[str, ...] = ()
    overlap_span: tuple[str, str] | None = None
    overlap_column: str = ""
    half_open: bool = False
    overlap_rule: str = ""
    #: rows sharing the first columns must agree on the last one (one time zone per team)
    consistent: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


PERIOD_START = """case
    when regexp_full_match(period, '\\d{4}') then make_date(cast(period as integer), 1, 1)
    when regexp_full_match(period, '\\d{4}-Q[1-4]')
        then make_date(cast(period[1:4] as integer), 3 * cast(period[7:7] as integer) - 2, 1)
    else make_date(cast(period[1:4] as integer), cast(period[6:7] as integer), 1) end"""

PERIOD_END = """(case
    when regexp_full_match(period, '\\d{4}') then make_date(cast(period as integer) + 1, 1, 1)
    when regexp_full_match(period, '\\d{4}-Q[1-4]')
        then make_date(cast(period[1:4] as integer), 3 * cast(period[7:7] as integer) - 2, 1) + interval 3 month
    else make_date(cast(period[1:4] as integer), cast(period[6:7] as integer), 1) + interval 1 month
    end - interval 1 day)::date"""


KINDS: dict[str, FileKind] = {k.name: k for k in [
    FileKind(
        "budgets", "Department and project budgets",
        "Money available per period, for a cost centre (a department or team) or for a project. "
        "Budget variance compares it with the cost of the time logged against the same cost "
        "centre or project.",
        (
            Column("period", "period", description="The budget period: a year, a quarter or a month.",
                   example="2026-Q1"),
            Column("cost_centre", "text", False, "Department or team the budget belongs to (leave empty for a "
                   "project budget). Team names are matched on their slug, as everywhere.", "Service Desk"),
            Column("project", "text", False, "Project name as in Runn or Harvest (leave empty for a cost-centre "
                   "budget).", ""),
            Column("amount", "decimal", description="Budget amount for the whole period.", example="250000",
                   minimum=0),
            Column("currency", "currency", description="ISO 4217 currency code.", example="USD"),
            Column("notes", "text", False, "Free text.", "Opex incl. contractors"),
        ),
        unique=("period", "cost_centre", "project"),
        rules=(RowRule("(cost_centre is null) <> (project is null)", "cost_centre",
                       "fill exactly one of cost_centre and project",
                       "exactly one of `cost_centre` and `project` is filled"),),
        derived={"period_start": (PERIOD_START, "date"), "period_end": (PERIOD_END, "date")},
        overlap_key=("coalesce(cost_centre, '')", "coalesce(project, '')"),
        overlap_span=("period_start", "period_end"),
        overlap_column="period",
        overlap_rule="a cost centre's (or a project's) periods must not overlap: a year and one of its quarters "
        "would count twice",
    ),
    FileKind(
        "headcount", "Headcount and contracted capacity",
        "People who are in neither Runn nor Harvest (outsourced staff, a team that plans in a "
        "spreadsheet), with their team and contracted hours, so that capacity and identity cover "
        "them. One row per person and contract period.",
        (
            Column("email", "email", description="Work e-mail address (the identity key across sources).",
                   example="ana.lima@partner.example"),
            Column("full_name", "text", description="First and last name.", example="Ana Lima"),
            Column("team", "text", description="Team name, as in Runn or ServiceNow.", example="Service Desk"),
            Column("role", "text", False, "Job title.", "Service Desk Analyst"),
            Column("employment_type", "choice", description="employee or contractor.", example="contractor",
                   choices=("employee", "contractor")),
            Column("hours_per_week", "decimal", description="Contracted hours per week.", example="37.5",
                   minimum=0, maximum=80, exclusive_minimum=True),
            Column("working_days", "weekdays", False, "Days worked, comma-separated (default mon,tue,wed,thu,fri); "
                   "the weekly hours are spread evenly over them.", "mon,tue,wed,thu"),
            Column("start_date", "date", description="First day of this contract period.", example="2026-01-05"),
            Column("end_date", "date", False, "Last day (empty: still running).", ""),
            Column("cost_per_hour", "decimal", False, "Cost to the business per hour.", "42", minimum=0),
            Column("currency", "currency", False, "Currency of cost_per_hour (required with it).", "USD"),
        ),
        unique=("email", "start_date"),
        rules=(
            RowRule("end_date is null or end_date >= start_date", "end_date", "is before start_date",
                    "`end_date` is empty or on/after `start_date`"),
            RowRule("cost_per_hour is null or currency is not null", "currency", "is required with cost_per_hour",
                    "`currency` is given with `cost_per_hour`"),
        ),
        overlap_key=("lower(email)",),
        overlap_span=("start_date", "coalesce(end_date, date '9999-12-31')"),
        overlap_column="start_date",
        overlap_rule="a person's contract periods must not overlap",
    ),
    FileKind(
        "kpi_targets", "KPI targets and thresholds",
        "Targets and RAG thresholds per KPI; same columns as dbt_project/seeds/kpi_targets.csv, whose "
        "rows they override metric by metric.",
        (
            Column("metric", "text", description="Metric key, as in kpi_metrics.metric.", example="mttr_hours"),
            Column("target", "decimal", description="Target value, in the metric's unit.", example="6"),
            Column("direction", "choice", description="lower_is_better or higher_is_better.",
                   example="lower_is_better", choices=("lower_is_better", "higher_is_better")),
            Column("at_risk_tolerance_pct", "decimal", description="How far past the target (in % of it) the "
                   "status is at_risk rather than off_track.", example="25", minimum=0, maximum=100),
            Column("description", "text", False, "What the target means.", "Restore major incidents in 6 h"),
        ),
        unique=("metric",),
        rules=(RowRule("regexp_full_match(metric, '[a-z0-9_]+')", "metric",
                       "must be a metric key (lower case, digits, underscores)",
                       "`metric` is a metric key: lower case letters, digits, underscores"),),
    ),
    FileKind(
        "sla_targets", "SLA targets per priority",
        "Response and resolution targets per ticket priority, in calendar or business minutes, for "
        "every team or one team.",
        (
            Column("priority", "integer", description="Ticket priority, 1 (highest) to 5.", example="1",
                   minimum=1, maximum=5),
            Column("metric", "choice", description="response or resolution.", example="resolution",
                   choices=("response", "resolution")),
            Column("target_minutes", "integer", description="Target in minutes.", example="240", minimum=0,
                   exclusive_minimum=True),
            Column("business_hours", "boolean", description="true: minutes count in the team's business "
                   "calendar; false: calendar minutes (24x7).", example="true"),
            Column("team", "text", False, "Team the target applies to (empty: every team without its own).", ""),
        ),
        unique=("team", "priority", "metric"),
    ),
    FileKind(
        "business_calendars", "Business calendars",
        "Working hours per team: its time zone and one row per working window of each weekday "
        "(two rows for a split day). Days without a row are not working days.",
        (
            Column("team", "text", description="Team name.", example="Service Desk"),
            Column("timezone", "timezone", description="IANA time zone of the team's hours.",
                   example="Europe/London"),
            Column("weekday", "weekday", description="mon, tue, wed, thu, fri, sat or sun.", example="mon"),
            Column("start_time", "time", description="Start of the window, HH:MM local time.", example="08:00"),
            Column("end_time", "time", description="End of the window, HH:MM local time (24:00 for midnight).",
                   example="18:00"),
        ),
        unique=("team", "weekday", "start_time"),
        rules=(RowRule("end_time > start_time", "end_time", "must be after start_time",
                       "`end_time` is after `start_time`"),),
        overlap_key=("team", "weekday"),
        overlap_span=("start_time", "end_time"),
        overlap_column="start_time",
        overlap_rule="a team's windows on the same weekday must not overlap",
        half_open=True,
        consistent=("team", "timezone"),
    ),
    FileKind(
        "team_holidays", "Holidays per team",
        "Days a team does not work besides weekends (public holidays, office closures); a partial day "
        "gives the hours off.",
        (
            Column("team", "text", description="Team name.", example="Service Desk"),
            Column("holiday_date", "date", description="The day.", example="2026-12-25"),
            Column("holiday_name", "text", description="Name of the holiday.", example="Christmas Day"),
            Column("hours_off", "decimal", False, "Hours off for a partial day (empty: the whole day).", "",
                   minimum=0, maximum=24, exclusive_minimum=True),
        ),
        unique=("team", "holiday_date"),
    ),
    FileKind(
        "identity_overrides", "Identity overrides",
        "Exceptions to matching people across sources on their e-mail address: a source account "
        "whose e-mail differs from the person's (an alias, an old domain, a shared mailbox) is "
        "attributed to the canonical e-mail given here.",
        (
            Column("source", "choice", description="The source system of the account.", example="runn",
                   choices=SOURCES),
            Column("source_user_id", "text", description="The account's id in that source.", example="100042"),
            Column("canonical_email", "email", description="The e-mail of the person it belongs to.",
                   example="dev.patel@acme-corp.example"),
        ),
        unique=("source", "source_user_id"),
    ),
]}

DUCKDB_TYPES = {
    "text": "varchar", "integer": "bigint", "decimal": "decimal(18, 4)", "date": "date", "boolean": "boolean",
    "email": "varchar", "choice": "varchar", "time": "varchar", "timezone": "varchar", "period": "varchar",
    "currency": "varchar", "weekday": "varchar", "weekdays": "varchar",
}


def kind_of(file_name: str) -> FileKind | None:
    """The kind a file name announces (``budgets_2026.xlsx`` -> budgets), longest name first."""
    stem = file_name.rsplit(".", 1)[0].lower()
    for name in sorted(KINDS, key=len, reverse=True):
        if stem == name or stem.startswith((name + "_", name + "-", name + " ")):
            return KINDS[name]
    return None

{#- Backlog at the end of each period: the tickets in an open or pending status at the last
    instant of the day, week (Sunday) or month, in the reporting time zone; the current,
    unfinished period is measured at int_as_of. Aged: opened more than 30 days before
    that instant. Team and priority are the ticket's at that instant (status intervals),
    so a ticket handed over on the 20th counts in its new team's month-end backlog.

    Computed as a running count, not by joining every day's snapshot instant to every
    waiting interval (which grew with days x intervals: 37 s a night on three years). A
    waiting interval counts in the snapshot of day d (taken at the end of d, or at the
    as-of instant on the as-of date) when it started before that instant and had not ended
    by it. The first snapshot taken after an instant t is the one of t's local date, so an
    interval adds one on the local date it started and takes it back on the local date it
    ended; it becomes aged on the local date of the later of its start and its ticket's
    opening + 30 days. Instants at or after the as-of instant reach no snapshot. Each
    breakdown's backlog on day d is then the sum of its changes up to d. -#}
with

as_of as (

    select as_of_at, {{ local_date('as_of_at') }} as as_of_date from {{ ref('int_as_of') }}

),

waiting as (

    select
        intervals.source,
        intervals.team_id,
        intervals.priority,
        intervals.valid_from,
        intervals.valid_to,
        tickets.service_id,
        {{ dbt.dateadd('second', 30 * 86400, 'tickets.opened_at') }} as aged_at
    from {{ ref('fct_ticket_status_intervals') }} as intervals
    inner join {{ ref('fct_tickets') }} as tickets
        on tickets.ticket_key = intervals.ticket_key
    where intervals.status_category in ('open', 'pending')

),

-- each interval's days: counted from open_from, aged from aged_from, neither from closed_on
spans as (

    select
        waiting.source,
        waiting.team_id,
        waiting.service_id,
        waiting.priority,
        {{ local_date('waiting.valid_from') }} as open_from,
        case
            when greatest(waiting.valid_from, waiting.aged_at) < as_of.as_of_at
                then {{ local_date('greatest(waiting.valid_from, waiting.aged_at)') }}
        end as aged_from,
        case
            when waiting.valid_to < as_of.as_of_at then {{ local_date('waiting.valid_to') }}
        end as closed_on
    from waiting
    cross join as_of
    where waiting.valid_from < as_of.as_of_at

),

-- +1 / -1 per day and breakdown (summed first over the full combination: fewer rows to expand)
changes as materialized (

    select source, team_id, service_id, priority, change_date,
           sum(open_change) as open_change, sum(aged_change) as aged_change
    from (
        select source, team_id, service_id, priority, open_from as change_date, 1 as open_change, 0 as aged_change
        from spans
        union all
        select source, team_id, service_id, priority, closed_on, -1, 0
        from spans where closed_on is not null
        union all
        select source, team_id, service_id, priority, aged_from, 0, 1
        from spans where aged_from is not null and (closed_on is null or aged_from < closed_on)
        union all
        select source, team_id, service_id, priority, closed_on, 0, -1
        from spans where aged_from is not null and aged_from < closed_on
    ) as deltas
    group by source, team_id, service_id, priority, change_date

),

{%- set grains = ['day', 'week', 'month'] | select('in', var('kpi_grains_override', ['day', 'week', 'month'])) | list %}
{%- set dimensions = ['all', 'source', 'team', 'service', 'priority']
        | select('in', var('kpi_dimensions_override', ['all', 'source', 'team', 'service', 'priority'])) | list %}
{%- set dim_columns = {'source': 'source', 'team': 'team_id', 'service': 'service_id', 'priority': 'priority'} %}

by_breakdown as (

    {%- for dimension in dimensions %}
    select
        '{{ dimension }}' as dimension,
        {{ "'all'" if dimension == 'all' else "coalesce(cast(" ~ dim_columns[dimension] ~ " as varchar), 'unknown')" }}
            as dimension_value,
        change_date,
        sum(open_change) as open_change,
        sum(aged_change) as aged_change
    from changes
    group by 1, 2, 3
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

-- the backlog from each change date until the next one
running as (

    select
        dimension,
        dimension_value,
        change_date as valid_from_date,
        lead(change_date) over (partition by dimension, dimension_value order by change_date) as valid_to_date,
        sum(open_change) over (partition by dimension, dimension_value order by change_date
                               rows between unbounded preceding and current row) as open_tickets,
        sum(aged_change) over (partition by dimension, dimension_value order by change_date
                               rows between unbounded preceding and current row) as aged_tickets
    from by_breakdown

),

snapshots as (

    select
        calendar.date_day,
        calendar.iso_day_of_week = 7 or calendar.date_day = as_of.as_of_date as is_week_end,
        calendar.date_day = cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'calendar.month_start')) }} as date)
            or calendar.date_day = as_of.as_of_date as is_month_end
    from {{ ref('dim_date') }} as calendar
    cross join as_of
    where calendar.date_day <= as_of.as_of_date

),

measured as (

    select
        snapshots.date_day,
        snapshots.is_week_end,
        snapshots.is_month_end,
        running.dimension,
        running.dimension_value,
        running.open_tickets,
        running.aged_tickets
    from running
    inner join snapshots
        on snapshots.date_day >= running.valid_from_date
        and (snapshots.date_day < running.valid_to_date or running.valid_to_date is null)
    where running.open_tickets > 0

),

rolled_up as (

    {%- for grain in grains %}
    {%- for metric, measure in [('backlog_open', 'open_tickets'), ('backlog_aged_30d', 'aged_tickets')] %}
    select
        '{{ metric }}' as metric,
        '{{ grain }}' as grain,
        {{ period_start(grain, 'date_day') }} as period_start,
        dimension,
        dimension_value,
        cast({{ measure }} as {{ type_double() }}) as numerator,
        cast(null as {{ type_double() }}) as denominator,
        cast({{ measure }} as {{ type_double() }}) as value,
        'tickets' as unit
    from measured
    {%- if grain == 'week' %}
    where is_week_end
    {%- elif grain == 'month' %}
    where is_month_end
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from rolled_up

{#- Backlog at the end of each period: the tickets in an open or pending status at the last
    instant of the day, week (Sunday) or month, in the reporting time zone; the current,
    unfinished period is measured at int_as_of. Aged: opened more than 30 days before
    that instant. Team and priority are the ticket's at that instant (status intervals),
    so a ticket handed over on the 20th counts in its new team's month-end backlog. -#}
with

as_of as (

    select as_of_at, {{ local_date('as_of_at') }} as as_of_date from {{ ref('int_as_of') }}

),

waiting as (

    select
        intervals.ticket_key,
        intervals.source,
        intervals.team_id,
        intervals.priority,
        intervals.valid_from,
        intervals.valid_to,
        tickets.service_id,
        tickets.opened_at
    from {{ ref('fct_ticket_status_intervals') }} as intervals
    inner join {{ ref('fct_tickets') }} as tickets
        on tickets.ticket_key = intervals.ticket_key
    where intervals.status_category in ('open', 'pending')

),

bounds as (

    select min({{ local_date('valid_from') }}) as first_date from waiting

),

snapshots as (

    select
        calendar.date_day,
        calendar.iso_day_of_week = 7 or calendar.date_day = as_of.as_of_date as is_week_end,
        calendar.date_day = cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'calendar.month_start')) }} as date)
            or calendar.date_day = as_of.as_of_date as is_month_end,
        case
            when calendar.date_day = as_of.as_of_date then as_of.as_of_at
            else {{ local_to_utc(dbt.dateadd('day', 1, 'cast(calendar.date_day as timestamp)'),
                                 "'" ~ var('reporting_timezone') ~ "'") }}
        end as snapshot_at
    from {{ ref('dim_date') }} as calendar
    cross join as_of
    cross join bounds
    where calendar.date_day between bounds.first_date and as_of.as_of_date

),

backlog as materialized (

    select
        snapshots.date_day as anchor_date,
        snapshots.is_week_end,
        snapshots.is_month_end,
        waiting.source,
        waiting.team_id,
        waiting.service_id,
        waiting.priority,
        case when {{ seconds_between('waiting.opened_at', 'snapshots.snapshot_at') }} > 30 * 86400 then 1 else 0 end
            as is_aged
    from snapshots
    inner join waiting
        on waiting.valid_from < snapshots.snapshot_at
        and (waiting.valid_to >= snapshots.snapshot_at or waiting.valid_to is null)

),

week_ends as materialized (

    select * from backlog where is_week_end

),

month_ends as materialized (

    select * from backlog where is_month_end

),

{%- set dims = ['all', 'source', 'team', 'service', 'priority'] %}

rolled_up as (

    {%- for relation, grain in [('backlog', 'day'), ('week_ends', 'week'), ('month_ends', 'month')] %}
    {{ kpi_rollup(relation, 'backlog_open', 'tickets', 'count', dimensions=dims, grains=[grain]) }}
    union all
    {{ kpi_rollup(relation, 'backlog_aged_30d', 'tickets', 'sum', expr='is_aged', dimensions=dims,
                  grains=[grain]) }}
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}

)

select * from rolled_up

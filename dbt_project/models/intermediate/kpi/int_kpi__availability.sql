{#- Service availability and MTBF from the outages of major incidents.

    An outage runs from a major incident's creation to its resolution (to int_as_of while
    unresolved); overlapping outages of one service merge, so two majors on the same
    outage do not count its minutes twice. Per service and local day: total minutes (1380
    or 1500 on DST change days; the current day up to as-of) and outage minutes. Measured
    from the first day with any incident data (no monitoring, no availability claim).

    availability_pct = 100 x (total - outage minutes) / total minutes
    mtbf_hours       = (total - outage minutes) / 60 / major incidents started
    Both are ratios of sums, so a month or the whole estate rolls up exactly. -#}
with

as_of as (

    select as_of_at, {{ local_date('as_of_at') }} as as_of_date from {{ ref('int_as_of') }}

),

incidents as (

    select * from {{ ref('fct_incidents') }}

),

services as (

    select service_id, team_id from {{ ref('dim_services') }}

),

bounds as (

    select min({{ local_date('created_at') }}) as first_date from incidents

),

days as (

    select
        calendar.date_day,
        {{ local_to_utc('cast(calendar.date_day as timestamp)', "'" ~ var('reporting_timezone') ~ "'") }}
            as day_start_at,
        case
            when calendar.date_day = as_of.as_of_date then as_of.as_of_at
            else {{ local_to_utc(dbt.dateadd('day', 1, 'cast(calendar.date_day as timestamp)'),
                                 "'" ~ var('reporting_timezone') ~ "'") }}
        end as day_end_at
    from {{ ref('dim_date') }} as calendar
    cross join as_of
    cross join bounds
    where calendar.date_day between bounds.first_date and as_of.as_of_date

),

outages as (

    select
        incidents.service_id,
        incidents.created_at as start_at,
        case
            when incidents.resolved_at is not null then incidents.resolved_at
            else as_of.as_of_at
        end as end_at
    from incidents
    cross join as_of
    where incidents.is_major and incidents.service_id is not null

),

ordered as (

    select
        *,
        max(end_at) over (
            partition by service_id order by start_at, end_at
            rows between unbounded preceding and 1 preceding
        ) as previous_end_at
    from outages
    where end_at > start_at

),

islands as (

    select
        *,
        sum(case when previous_end_at >= start_at then 0 else 1 end) over (
            partition by service_id order by start_at, end_at
            rows between unbounded preceding and current row
        ) as island
    from ordered

),

merged as (

    select service_id, min(start_at) as start_at, max(end_at) as end_at
    from islands
    group by service_id, island

),

service_days as (

    select
        services.service_id,
        services.team_id,
        days.date_day,
        days.day_start_at,
        days.day_end_at
    from services
    cross join days
    where days.day_end_at > days.day_start_at

),

outage_seconds as (

    select
        service_days.service_id,
        service_days.date_day,
        sum({{ seconds_between(
            'case when merged.start_at > service_days.day_start_at then merged.start_at else service_days.day_start_at end',
            'case when merged.end_at < service_days.day_end_at then merged.end_at else service_days.day_end_at end') }})
            as outage_seconds
    from service_days
    inner join merged
        on merged.service_id = service_days.service_id
        and merged.start_at < service_days.day_end_at
        and merged.end_at > service_days.day_start_at
    group by 1, 2

),

failures as (

    select service_id, {{ local_date('created_at') }} as date_day, count(*) as failures
    from incidents
    where is_major and service_id is not null
    group by 1, 2

),

measured as materialized (

    select
        service_days.date_day as anchor_date,
        service_days.service_id,
        service_days.team_id,
        -- whole seconds: their sums are exact, minutes and hours come after summing
        {{ seconds_between('service_days.day_start_at', 'service_days.day_end_at') }} as total_seconds,
        {{ seconds_between('service_days.day_start_at', 'service_days.day_end_at') }}
            - coalesce(outage_seconds.outage_seconds, 0) as available_seconds,
        coalesce(failures.failures, 0) as failures
    from service_days
    left join outage_seconds
        on outage_seconds.service_id = service_days.service_id
        and outage_seconds.date_day = service_days.date_day
    left join failures
        on failures.service_id = service_days.service_id
        and failures.date_day = service_days.date_day

),

{%- set dims = ['all', 'team', 'service'] %}

rolled_up as (

    {{ kpi_rollup('measured', 'availability_pct', 'percent', 'ratio', num='available_seconds', den='total_seconds',
                  scale=100, dimensions=dims, num_per=60, den_per=60) }}
    union all
    {{ kpi_rollup('measured', 'mtbf_hours', 'hours', 'ratio', num='available_seconds', den='failures',
                  dimensions=dims, num_per=3600) }}

)

select * from rolled_up

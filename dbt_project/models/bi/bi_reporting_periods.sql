{#- The data's "as of" day and, per grain, the period in progress and the last complete
    one: the scorecard (report, bi.kpi_latest) shows complete periods only. The as-of day
    is the last day with a day-grain KPI row (the edge of the ticket and incident data),
    falling back to the end of the last week with data for sources without daily KPIs.
    Forecast metrics (future periods) never move it. -#}
{{ config(materialized='table', schema='bi', alias='reporting_periods') }}

with

metrics as (

    select * from {{ bi_ref('kpi_metrics') }}

),

catalog as (

    select * from {{ bi_ref('bi_kpi_catalog') }}

),

actuals as (

    select metrics.grain, metrics.period_start
    from metrics
    inner join catalog
        on catalog.metric = metrics.metric
    where catalog.kind = 'actual'

),

as_of as (

    select
        coalesce(
            max(case when grain = 'day' then period_start end),
            cast({{ dbt.dateadd('day', 6, "max(case when grain = 'week' then period_start end)") }} as date),
            cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, "max(case when grain = 'month' then period_start end)")) }} as date)
        ) as data_as_of
    from actuals

),

grains as (

    select 'week' as grain
    union all
    select 'month' as grain

),

current_periods as (

    select
        grains.grain,
        as_of.data_as_of,
        case grains.grain
            when 'week' then {{ period_start('week', 'as_of.data_as_of') }}
            else {{ period_start('month', 'as_of.data_as_of') }}
        end as current_period_start,
        case grains.grain
            when 'week' then {{ period_start('week', dbt.dateadd('day', 1, 'as_of.data_as_of')) }}
            else {{ period_start('month', dbt.dateadd('day', 1, 'as_of.data_as_of')) }}
        end as next_day_period_start
    from grains
    cross join as_of

),

periods as (

    select
        grain,
        data_as_of,
        current_period_start,
        -- The period holding the as-of day is complete when the next day starts a new one.
        next_day_period_start <> current_period_start as is_current_period_complete,
        case
            when next_day_period_start <> current_period_start then current_period_start
            when grain = 'week' then cast({{ dbt.dateadd('day', -7, 'current_period_start') }} as date)
            else cast({{ dbt.dateadd('month', -1, 'current_period_start') }} as date)
        end as last_complete_period_start
    from current_periods

),

with_previous as (

    select
        grain,
        data_as_of,
        current_period_start,
        is_current_period_complete,
        last_complete_period_start,
        case
            when grain = 'week' then cast({{ dbt.dateadd('day', -7, 'last_complete_period_start') }} as date)
            else cast({{ dbt.dateadd('month', -1, 'last_complete_period_start') }} as date)
        end as previous_complete_period_start
    from periods

)

select * from with_previous

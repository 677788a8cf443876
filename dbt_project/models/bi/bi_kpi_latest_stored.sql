{#- The scorecard: each KPI in the last complete week and month (see bi.reporting_periods),
    for the organisation and every breakdown, beside the period before it. -#}
{#- Stored as a table, sorted by what BI filters on (grain, breakdown, metric), so the
    scorecard and drill-down queries read a few row groups of one table instead of
    re-deriving labels, targets and statuses from kpi_metrics on every query (issue 8:
    p95 <= 50 ms). bi.kpi_latest is the stable view over it. -#}
{{ config(materialized='table', schema='bi', alias='kpi_latest_stored') }}

with

kpi_values as (

    select * from {{ bi_ref('bi_kpi_values_stored') }}

),

periods as (

    select * from {{ bi_ref('bi_reporting_periods') }}

),

latest as (

    select kpi_values.*
    from kpi_values
    inner join periods
        on periods.grain = kpi_values.grain
        and periods.last_complete_period_start = kpi_values.period_start

),

previous as (

    select kpi_values.*
    from kpi_values
    inner join periods
        on periods.grain = kpi_values.grain
        and periods.previous_complete_period_start = kpi_values.period_start

),

compared as (

    select
        latest.metric,
        latest.kpi_name,
        latest.family,
        latest.family_name,
        latest.grain,
        latest.period_start,
        latest.period_end,
        latest.dimension,
        latest.dimension_value,
        latest.dimension_label,
        latest.value,
        latest.unit,
        latest.target,
        latest.status,
        latest.status_label,
        previous.period_start as previous_period_start,
        previous.value as previous_value,
        latest.value - previous.value as change,
        100.0 * (latest.value - previous.value) / nullif(abs(previous.value), 0) as change_pct
    from latest
    left join previous
        on previous.metric = latest.metric
        and previous.grain = latest.grain
        and previous.dimension = latest.dimension
        and previous.dimension_value = latest.dimension_value

)

select * from compared
order by grain, dimension, metric, period_start, dimension_value

{#- kpi_metrics for people: readable KPI, family and breakdown names, the period's end,
    and whether the period is complete. One row per (metric, grain, period_start,
    dimension, dimension_value), exactly as in kpi_metrics. -#}
{#- Stored as a table, sorted by what BI filters on (grain, breakdown, metric), so the
    scorecard and drill-down queries read a few row groups of one table instead of
    re-deriving labels, targets and statuses from kpi_metrics on every query (issue 8:
    p95 <= 50 ms). bi.kpi_values is the stable view over it. -#}
{{ config(materialized='table', schema='bi', alias='kpi_values_stored') }}

with

metrics as (

    select * from {{ bi_ref('kpi_metrics') }}

),

catalog as (

    select * from {{ bi_ref('bi_kpi_catalog') }}

),

periods as (

    select distinct data_as_of from {{ bi_ref('bi_reporting_periods') }}

),

teams as (

    select * from {{ bi_ref('dim_teams') }}

),

services as (

    select * from {{ bi_ref('dim_services') }}

),

people as (

    select * from {{ bi_ref('dim_people') }}

),

projects as (

    select * from {{ bi_ref('dim_projects') }}

),

labelled as (

    select
        metrics.metric,
        catalog.kpi_name,
        catalog.family,
        catalog.family_name,
        metrics.grain,
        metrics.period_start,
        case metrics.grain
            when 'day' then cast({{ dbt.dateadd('day', 1, 'metrics.period_start') }} as date)
            when 'week' then cast({{ dbt.dateadd('day', 7, 'metrics.period_start') }} as date)
            else cast({{ dbt.dateadd('month', 1, 'metrics.period_start') }} as date)
        end as period_end,
        metrics.dimension,
        metrics.dimension_value,
        case
            when metrics.dimension = 'all' then 'All'
            when metrics.dimension_value = 'unknown' then 'Unknown'
            when metrics.dimension = 'team' then coalesce(teams.team_name, metrics.dimension_value)
            when metrics.dimension = 'service' then coalesce(services.service_name, metrics.dimension_value)
            when metrics.dimension = 'person' then coalesce(people.full_name, metrics.dimension_value)
            when metrics.dimension = 'project' then coalesce(projects.project_name, metrics.dimension_value)
            when metrics.dimension = 'priority' then 'P' || metrics.dimension_value
            else metrics.dimension_value
        end as dimension_label,
        metrics.numerator,
        metrics.denominator,
        metrics.value,
        metrics.unit,
        metrics.target,
        metrics.status,
        case metrics.status
            when 'on_track' then 'On track'
            when 'at_risk' then 'At risk'
            when 'off_track' then 'Off track'
        end as status_label,
        periods.data_as_of
    from metrics
    inner join catalog
        on catalog.metric = metrics.metric
    cross join periods
    left join teams
        on metrics.dimension = 'team'
        and teams.team_id = metrics.dimension_value
    left join services
        on metrics.dimension = 'service'
        and services.service_id = metrics.dimension_value
    left join people
        on metrics.dimension = 'person'
        and people.person_id = metrics.dimension_value
    left join projects
        on metrics.dimension = 'project'
        and projects.project_id = metrics.dimension_value

),

flagged as (

    select
        metric,
        kpi_name,
        family,
        family_name,
        grain,
        period_start,
        period_end,
        dimension,
        dimension_value,
        dimension_label,
        numerator,
        denominator,
        value,
        unit,
        target,
        status,
        status_label,
        period_end <= cast({{ dbt.dateadd('day', 1, 'data_as_of') }} as date) as is_complete_period
    from labelled

)

select * from flagged
order by grain, dimension, metric, period_start, dimension_value

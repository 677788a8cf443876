{#- One row per metric key present in kpi_metrics: its readable name, family, unit,
    target and how it rolls up. Built from the data, so a metric added to kpi_metrics
    appears here (and in the report) without a change to this model. -#}
{{ config(materialized='table', schema='bi', alias='kpi_catalog') }}

with

metrics as (

    select * from {{ bi_ref('kpi_metrics') }}

),

targets as (

    select * from {{ bi_ref('int_kpi_targets') }}

),

families as (

    select * from {{ bi_ref('kpi_families') }}

),

observed as (

    select
        metric,
        min(unit) as unit,
        min(period_start) as first_period_start,
        max(period_start) as last_period_start,
        case
            when count(denominator) > 0 then 'ratio_of_sums'
            when count(numerator) > 0 then 'sum'
            else 'not_additive'
        end as rollup
    from metrics
    group by 1

),

grains as (

    select distinct metric, grain from metrics

),

grain_lists as (

    select
        metric,
        {{ dbt.listagg('grain', "','", "order by grain") }} as grains
    from grains
    group by 1

),

dimensions as (

    select distinct metric, dimension from metrics

),

dimension_lists as (

    select
        metric,
        {{ dbt.listagg('dimension', "','", "order by dimension") }} as dimensions
    from dimensions
    group by 1

),

family_matches as (

    select
        observed.metric,
        families.family,
        families.family_name,
        families.family_order,
        families.kind,
        row_number() over (
            partition by observed.metric
            order by families.priority, length(families.metric_pattern) desc
        ) as match_rank
    from observed
    inner join families
        on observed.metric like families.metric_pattern

),

catalog as (

    select
        observed.metric,
        {{ kpi_label('observed.metric') }} as kpi_name,
        coalesce(family_matches.family, 'other') as family,
        coalesce(family_matches.family_name, 'Other KPIs') as family_name,
        coalesce(family_matches.family_order, 99) as family_order,
        coalesce(family_matches.kind, 'actual') as kind,
        observed.unit,
        targets.direction,
        targets.target,
        targets.at_risk_tolerance_pct,
        targets.description as target_description,
        observed.rollup,
        grain_lists.grains,
        dimension_lists.dimensions,
        observed.first_period_start,
        observed.last_period_start
    from observed
    left join family_matches
        on family_matches.metric = observed.metric
        and family_matches.match_rank = 1
    left join targets
        on targets.metric = observed.metric
    left join grain_lists
        on grain_lists.metric = observed.metric
    left join dimension_lists
        on dimension_lists.metric = observed.metric

)

select * from catalog

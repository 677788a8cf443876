{#- Incident restoration: MTTR is the mean time from creation to resolution of the major
    incidents resolved in the period (the "resolve" R; see docs/kpis.md). -#}
with

incidents as (

    select * from {{ ref('fct_incidents') }}

),

resolved as (

    select
        {{ local_date('resolved_at') }} as anchor_date,
        source,
        team_id,
        service_id,
        priority,
        time_to_resolve_minutes / 60.0 as time_to_resolve_hours
    from incidents
    where resolved_at is not null
      and is_major

),

{%- set dims = ['all', 'source', 'team', 'service', 'priority'] %}

rolled_up as (

    {{ kpi_rollup('resolved', 'mttr_hours', 'hours', 'mean', expr='time_to_resolve_hours', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'mttr_median_hours', 'hours', 'median', expr='time_to_resolve_hours',
                  dimensions=dims) }}

)

select * from rolled_up

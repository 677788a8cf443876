{#- Utilization = logged hours / contracted capacity hours, per person-day summed up:
    group figures are ratios of sums, never averages of personal percentages. -#}
with

daily as materialized (

    select
        date_day as anchor_date,
        person_id,
        team_id,
        capacity_hours,
        logged_hours
    from {{ ref('int_utilization_daily') }}

),

{%- set dims = ['all', 'team', 'person'] %}

rolled_up as (

    {{ kpi_rollup('daily', 'utilization_pct', 'percent', 'ratio', num='logged_hours', den='capacity_hours',
                  scale=100, dimensions=dims, grains=['week', 'month']) }}
    union all
    {{ kpi_rollup('daily', 'hours_total', 'hours', 'sum', expr='logged_hours', dimensions=dims,
                  grains=['week', 'month']) }}
    union all
    {{ kpi_rollup('daily', 'capacity_contracted_hours', 'hours', 'sum', expr='capacity_hours', dimensions=dims,
                  grains=['week', 'month']) }}

)

select * from rolled_up

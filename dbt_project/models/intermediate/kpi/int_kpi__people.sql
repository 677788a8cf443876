{#- People and capacity, with Runn's definitions (docs/kpis.md), over the days up to the as-of
    date (fct_capacity_daily; the days after it are the forecast's):
      capacity_contracted_hours, capacity_effective_hours (contracted - leave - holidays -
      rostered off), hours_total (actuals where logged, else confirmed scheduled), hours_billable,
      utilization_pct = hours_total / effective capacity, billable_utilization_pct.
    Group figures are sums of hours over sums of capacity, never averages of percentages.
    Overtime, bench and over-allocation are measured per person-week (Monday start), anchored on
    the Monday: overtime = hours_total above the week's effective capacity, bench = effective
    capacity left unfilled; a person is over-allocated in a week with overtime, and in a month
    when over-allocated in any week starting in it. Placeholders have no person: never here. -#}
{{ config(materialized='incremental', incremental_strategy='kpi_periods', on_schema_change='fail') }}

with

person_days as materialized (

    select
        date_day as anchor_date,
        person_id,
        team_id,
        role_name,
        contracted_hours,
        effective_hours,
        hours_total,
        hours_total_billable
    from {{ ref('fct_capacity_daily') }}
    where not is_future

),

person_weeks as materialized (

    select
        {{ period_start('week', 'anchor_date') }} as anchor_date,
        person_id,
        max(team_id) as team_id,
        max(role_name) as role_name,
        greatest(sum(hours_total) - sum(effective_hours), 0) as overtime_hours,
        greatest(sum(effective_hours) - sum(hours_total), 0) as bench_hours,
        case when sum(hours_total) > sum(effective_hours) then 1 else 0 end as is_overallocated
    from person_days
    group by {{ period_start('week', 'anchor_date') }}, person_id

),

person_months as materialized (

    select
        {{ period_start('month', 'anchor_date') }} as anchor_date,
        person_id,
        max(team_id) as team_id,
        max(role_name) as role_name,
        max(is_overallocated) as is_overallocated
    from person_weeks
    group by {{ period_start('month', 'anchor_date') }}, person_id

),

{{ kpi_period_fingerprints(['person_days', 'person_weeks', 'person_months'], grains=['week', 'month']) }}
{%- set dims = ['all', 'team', 'role', 'person'] %}
{%- set grains = ['week', 'month'] %}

rolled_up as (

    {{ kpi_rollup('person_days', 'capacity_contracted_hours', 'hours', 'sum', expr='contracted_hours', dimensions=dims,
                  grains=grains) }}
    union all
    {{ kpi_rollup('person_days', 'capacity_effective_hours', 'hours', 'sum', expr='effective_hours', dimensions=dims,
                  grains=grains) }}
    union all
    {{ kpi_rollup('person_days', 'hours_total', 'hours', 'sum', expr='hours_total', dimensions=dims, grains=grains) }}
    union all
    {{ kpi_rollup('person_days', 'hours_billable', 'hours', 'sum', expr='hours_total_billable', dimensions=dims,
                  grains=grains) }}
    union all
    {{ kpi_rollup('person_days', 'utilization_pct', 'percent', 'ratio', num='hours_total', den='effective_hours',
                  scale=100, dimensions=dims, grains=grains) }}
    union all
    {{ kpi_rollup('person_days', 'billable_utilization_pct', 'percent', 'ratio', num='hours_total_billable',
                  den='effective_hours', scale=100, dimensions=dims, grains=grains) }}
    union all
    {{ kpi_rollup('person_weeks', 'overtime_hours', 'hours', 'sum', expr='overtime_hours', dimensions=dims,
                  grains=grains) }}
    union all
    {{ kpi_rollup('person_weeks', 'bench_hours', 'hours', 'sum', expr='bench_hours', dimensions=dims,
                  grains=grains) }}
    union all
    {{ kpi_rollup('person_weeks', 'overallocated_people', 'people', 'sum', expr='is_overallocated',
                  dimensions=['all', 'team', 'role'], grains=['week']) }}
    union all
    {{ kpi_rollup('person_months', 'overallocated_people', 'people', 'sum', expr='is_overallocated',
                  dimensions=['all', 'team', 'role'], grains=['month']) }}

)

{{ kpi_periods_select('rolled_up') }}

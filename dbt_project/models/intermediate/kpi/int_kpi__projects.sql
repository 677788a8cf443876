{#- Projects and cost (docs/kpis.md).

    Flows, by the day the time was logged (time entries with a project):
      actual_cost                - cost of the hours (day / week / month; all, team, project);
      hours_share_<category>_pct - logged hours on projects of the category (dim_projects:
                                   strategic, ktlo, support) / all logged hours (week / month).
    Positions at each month's end, up to the month of the time as-of date, over the projects in
    flight that month: confirmed, with hours logged by the month's end and work (logged or
    scheduled) in or after the month (fct_project_financials):
      budget_amount, forecast_cost_at_completion, budget_variance (budget - forecast at
      completion), budget_variance_pct (/ budget), cost_performance_index (EV / AC),
      schedule_performance_index (EV / PV), projects_on_budget_pct (forecast <= budget, of the
      budgeted), projects_on_time_pct (forecast end <= planned end, of those with a planned end).
    AC, EV and PV are the month-end values; the forecast at completion and the forecast end are
    today's (neither Runn nor Harvest keeps the plan as it stood at a past month's end).
    Budget figures only count budgeted projects; indices only projects where the index's
    inputs are known; portfolio figures are ratios of sums (a portfolio CPI = sum EV / sum AC). -#}
with

time_entries as (

    select * from {{ ref('int_time_entries_unioned') }}

),

projects as (

    select * from {{ ref('dim_projects') }}

),

logged as materialized (

    select
        time_entries.entry_date as anchor_date,
        time_entries.team_id,
        time_entries.project_id,
        time_entries.hours,
        time_entries.cost_amount,
        coalesce(projects.project_category, 'unclassified') as project_category
    from time_entries
    left join projects
        on projects.project_id = time_entries.project_id

),

project_time as materialized (

    select * from logged
    where project_id is not null

),

in_flight as materialized (

    select
        financials.month_start as anchor_date,
        financials.project_id,
        financials.team_id,
        financials.budget_amount,
        financials.cumulative_actual_cost,
        financials.forecast_cost_at_completion,
        case when financials.budget_amount > 0 then financials.budget_amount end as budget,
        case when financials.budget_amount > 0 then financials.forecast_cost_at_completion end as budgeted_forecast,
        case when financials.budget_amount > 0
             then financials.budget_amount - financials.forecast_cost_at_completion end as variance,
        case when financials.budget_amount > 0 then 1 end as is_budgeted,
        case when financials.budget_amount > 0 and financials.forecast_cost_at_completion <= financials.budget_amount
             then 1 when financials.budget_amount > 0 then 0 end as is_on_budget,
        financials.earned_value,
        case when financials.earned_value is not null and financials.cumulative_actual_cost > 0
             then financials.earned_value end as cpi_earned_value,
        case when financials.earned_value is not null and financials.cumulative_actual_cost > 0
             then financials.cumulative_actual_cost end as cpi_actual_cost,
        case when financials.earned_value is not null and financials.planned_value > 0
             then financials.earned_value end as spi_earned_value,
        case when financials.earned_value is not null and financials.planned_value > 0
             then financials.planned_value end as spi_planned_value,
        case when financials.planned_end_date is not null then 1 end as has_planned_end,
        case when financials.planned_end_date is null then null
             when financials.forecast_end_date <= financials.planned_end_date then 1 else 0 end as is_on_time
    from {{ ref('fct_project_financials') }} as financials
    inner join projects
        on projects.project_id = financials.project_id
    where projects.is_confirmed
        and financials.is_to_date
        and financials.cumulative_actual_hours > 0
        and financials.forecast_end_date >= financials.month_start

),

{%- set position_dims = ['all', 'team', 'project'] %}

rolled_up as (

    {{ kpi_rollup('project_time', 'actual_cost', 'currency', 'sum', expr='cost_amount',
                  dimensions=['all', 'team', 'project']) }}
    {%- for category in ['strategic', 'ktlo', 'support'] %}
    union all
    {{ kpi_rollup('logged', 'hours_share_' ~ category ~ '_pct', 'percent', 'ratio',
                  num="case when project_category = '" ~ category ~ "' then hours else 0 end", den='hours',
                  scale=100, dimensions=['all', 'team'], grains=['week', 'month']) }}
    {%- endfor %}
    union all
    {{ kpi_rollup('in_flight', 'budget_amount', 'currency', 'sum', expr='budget', dimensions=position_dims,
                  grains=['month']) }}
    union all
    {{ kpi_rollup('in_flight', 'forecast_cost_at_completion', 'currency', 'sum', expr='budgeted_forecast',
                  dimensions=position_dims, grains=['month']) }}
    union all
    {{ kpi_rollup('in_flight', 'budget_variance', 'currency', 'sum', expr='variance', dimensions=position_dims,
                  grains=['month']) }}
    union all
    {{ kpi_rollup('in_flight', 'budget_variance_pct', 'percent', 'ratio', num='variance', den='budget', scale=100,
                  dimensions=position_dims, grains=['month']) }}
    union all
    {{ kpi_rollup('in_flight', 'cost_performance_index', 'ratio', 'ratio', num='cpi_earned_value',
                  den='cpi_actual_cost', dimensions=position_dims, grains=['month']) }}
    union all
    {{ kpi_rollup('in_flight', 'schedule_performance_index', 'ratio', 'ratio', num='spi_earned_value',
                  den='spi_planned_value', dimensions=position_dims, grains=['month']) }}
    union all
    {{ kpi_rollup('in_flight', 'projects_on_budget_pct', 'percent', 'ratio', num='is_on_budget', den='is_budgeted',
                  scale=100, dimensions=['all', 'team'], grains=['month']) }}
    union all
    {{ kpi_rollup('in_flight', 'projects_on_time_pct', 'percent', 'ratio', num='is_on_time', den='has_planned_end',
                  scale=100, dimensions=['all', 'team'], grains=['month']) }}

)

select * from rolled_up

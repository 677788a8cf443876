{#- Capacity forecast: the `capacity_forecast_weeks` (12) weeks after the as-of date, by team
    and role, at week and month grain (period_start in the future; the first week and month are
    partial, counting only the days after the as-of date):
      forecast_capacity_hours            - effective capacity (contracted - booked time off);
      forecast_scheduled_confirmed_hours - Runn assignments on confirmed projects, placeholders
                                           included (Runn counts placeholders in future periods:
                                           they are demand without a person yet);
      forecast_scheduled_tentative_hours - the same on tentative (unconfirmed) projects;
      forecast_gap_hours                 - capacity - confirmed scheduled: spare capacity when
                                           positive, a shortfall when negative.
    Capacity is counted under the person's contract role, scheduled work under the assignment's
    role (the role the person or placeholder is booked as). -#}
{%- set forecast_days = var('capacity_forecast_weeks') * 7 %}
with

as_of as (

    select as_of_date from {{ ref('int_time_as_of') }}

),

capacity as (

    select
        capacity.date_day as anchor_date,
        capacity.team_id,
        capacity.role_name,
        capacity.effective_hours as capacity_hours,
        0 as confirmed_hours,
        0 as tentative_hours
    from {{ ref('fct_capacity_daily') }} as capacity
    cross join as_of
    where capacity.date_day > as_of.as_of_date
        and capacity.date_day <= as_of.as_of_date + {{ forecast_days }}

),

scheduled as (

    select
        assignments.date_day as anchor_date,
        assignments.team_id,
        assignments.role_name,
        0 as capacity_hours,
        case when assignments.is_tentative then 0 else assignments.scheduled_minutes / 60.0 end as confirmed_hours,
        case when assignments.is_tentative then assignments.scheduled_minutes / 60.0 else 0 end as tentative_hours
    from {{ ref('int_assignments__runn') }} as assignments
    cross join as_of
    where assignments.date_day > as_of.as_of_date
        and assignments.date_day <= as_of.as_of_date + {{ forecast_days }}

),

forecast_days as materialized (

    select * from capacity
    union all
    select * from scheduled

),

{%- set dims = ['all', 'team', 'role'] %}
{%- set grains = ['week', 'month'] %}

rolled_up as (

    {{ kpi_rollup('forecast_days', 'forecast_capacity_hours', 'hours', 'sum', expr='capacity_hours',
                  dimensions=dims, grains=grains) }}
    union all
    {{ kpi_rollup('forecast_days', 'forecast_scheduled_confirmed_hours', 'hours', 'sum', expr='confirmed_hours',
                  dimensions=dims, grains=grains) }}
    union all
    {{ kpi_rollup('forecast_days', 'forecast_scheduled_tentative_hours', 'hours', 'sum', expr='tentative_hours',
                  dimensions=dims, grains=grains) }}
    union all
    {{ kpi_rollup('forecast_days', 'forecast_gap_hours', 'hours', 'sum', expr='capacity_hours - confirmed_hours',
                  dimensions=dims, grains=grains) }}

)

select * from rolled_up

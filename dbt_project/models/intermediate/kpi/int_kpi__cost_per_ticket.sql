{#- cost_per_ticket = cost of the hours logged on service-desk work / tickets resolved, per team
    and period (week, month).

    Service-desk work is the time logged on support projects (dim_projects.project_category =
    'support': every team's BAU Support project, Runn tag 'support'), at its cost (Harvest cost
    rate, Runn contract costPerHour), anchored on the day it was logged and counted for the team
    of the person who logged it. Tickets resolved are those of tickets_resolved (fct_tickets,
    every source), anchored on the resolution date, for the ticket's team. Both sides are summed
    before dividing, so a team or month with cost and no resolved ticket keeps its numerator and
    has no value; one with resolved tickets and no costed support time has no numerator (null,
    not 0: nothing says the work was free) and no value. -#}
{{ config(materialized='incremental', incremental_strategy='kpi_periods', on_schema_change='fail') }}

with

support_cost as (

    select
        time_entries.entry_date as anchor_date,
        time_entries.team_id,
        time_entries.cost_amount as cost,
        0 as resolved
    from {{ ref('int_time_entries_unioned') }} as time_entries
    inner join {{ ref('dim_projects') }} as projects
        on projects.project_id = time_entries.project_id
    where projects.project_category = 'support'

),

resolved as (

    select
        {{ local_date('resolved_at') }} as anchor_date,
        team_id,
        cast(null as {{ type_double() }}) as cost,
        1 as resolved
    from {{ ref('fct_tickets') }}
    where resolved_at is not null

),

cost_and_tickets as materialized (

    select * from support_cost
    union all
    select * from resolved

),

{{ kpi_period_fingerprints(['cost_and_tickets'], grains=['week', 'month']) }}
rolled_up as (

    {{ kpi_rollup('cost_and_tickets', 'cost_per_ticket', 'currency', 'ratio', num='cost', den='resolved',
                  dimensions=['all', 'team'], grains=['week', 'month']) }}

)

{{ kpi_periods_select('rolled_up') }}

{#- SLA targets per team, metric (response / resolution) and priority. The `sla_targets`
    seed gives every team's targets (team_id '*'); each model in `overrides` (the
    organisation's SLA spreadsheets: team_id or '*', metric, priority, target_minutes,
    in_business_hours) replaces the seed's row for the same team, metric and priority.
    fct_ticket_sla prefers a ticket's own team's target to the '*' one.
    in_business_hours: the clock runs only in the team's business hours. -#}
{%- set overrides = ['int_sla_targets__spreadsheets'] %}

with

seeded as (

    select
        '*' as team_id,
        metric,
        cast(priority as integer) as priority,
        cast(target_minutes as {{ type_double() }}) as target_minutes,
        cast(in_business_hours as boolean) as in_business_hours,
        2 as precedence
    from {{ ref('sla_targets') }}

),

unioned as (

    select * from seeded
    {%- for model in overrides %}
    union all
    select
        team_id,
        metric,
        cast(priority as integer),
        cast(target_minutes as {{ type_double() }}),
        cast(in_business_hours as boolean),
        1
    from {{ ref(model) }}
    {%- endfor %}

),

ranked as (

    select
        *,
        row_number() over (partition by team_id, metric, priority order by precedence) as rank_in_key
    from unioned

)

select team_id, metric, priority, target_minutes, in_business_hours
from ranked
where rank_in_key = 1

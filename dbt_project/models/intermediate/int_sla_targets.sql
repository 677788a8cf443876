{#- SLA targets per metric (response / resolution) and priority, from the `sla_targets` seed;
    each model in `overrides` (the organisation's SLA spreadsheet, with metric, priority,
    target_minutes, in_business_hours) replaces the seed's row for the same metric and
    priority. in_business_hours: the clock runs only in the team's business hours. -#}
{%- set overrides = [] %}

with

seeded as (

    select
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
        row_number() over (partition by metric, priority order by precedence) as rank_in_key
    from unioned

)

select metric, priority, target_minutes, in_business_hours
from ranked
where rank_in_key = 1

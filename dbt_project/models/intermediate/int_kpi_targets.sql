{#- KPI targets and RAG thresholds from the `kpi_targets` seed; each model in `overrides`
    (the KPI-targets spreadsheet, with metric, target, direction, at_risk_tolerance_pct)
    replaces the seed's row for the same metric. -#}
{%- set overrides = [] %}

with

seeded as (

    select
        metric,
        cast(target as {{ type_double() }}) as target,
        direction,
        cast(at_risk_tolerance_pct as {{ type_double() }}) as at_risk_tolerance_pct,
        2 as precedence
    from {{ ref('kpi_targets') }}

),

unioned as (

    select * from seeded
    {%- for model in overrides %}
    union all
    select
        metric,
        cast(target as {{ type_double() }}),
        direction,
        cast(at_risk_tolerance_pct as {{ type_double() }}),
        1
    from {{ ref(model) }}
    {%- endfor %}

),

ranked as (

    select
        *,
        row_number() over (partition by metric order by precedence) as rank_in_key
    from unioned

)

select metric, target, direction, at_risk_tolerance_pct
from ranked
where rank_in_key = 1

{#- The KPI contract: one row per (metric, grain, period_start, dimension, dimension_value).
    Each family is an int_kpi__* model; targets and RAG thresholds come from int_kpi_targets
    (the kpi_targets seed, overridable by the KPI-targets spreadsheet). -#}
{%- set families = ['int_kpi__service_desk', 'int_kpi__backlog', 'int_kpi__sla', 'int_kpi__incidents',
                    'int_kpi__availability', 'int_kpi__changes', 'int_kpi__satisfaction', 'int_kpi__people', 'int_kpi__forecast',
                    'int_kpi__projects', 'int_kpi__cost_per_ticket'] %}

with

metrics as (

    {%- for family in families %}
    -- the contract's columns: a period-incremental family also carries its period_fingerprint
    select metric, grain, period_start, dimension, dimension_value, numerator, denominator, value, unit
    from {{ ref(family) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

targets as (

    select * from {{ ref('int_kpi_targets') }}

),

with_status as (

    select
        metrics.metric,
        metrics.grain,
        metrics.period_start,
        metrics.dimension,
        metrics.dimension_value,
        metrics.numerator,
        metrics.denominator,
        metrics.value,
        metrics.unit,
        targets.target,
        case
            when targets.target is null or metrics.value is null then null
            when targets.direction = 'lower_is_better' and metrics.value <= targets.target then 'on_track'
            when targets.direction = 'lower_is_better'
                and metrics.value <= targets.target * (1 + targets.at_risk_tolerance_pct / 100.0) then 'at_risk'
            when targets.direction = 'higher_is_better' and metrics.value >= targets.target then 'on_track'
            when targets.direction = 'higher_is_better'
                and metrics.value >= targets.target * (1 - targets.at_risk_tolerance_pct / 100.0) then 'at_risk'
            else 'off_track'
        end as status
    from metrics
    left join targets
        on targets.metric = metrics.metric

)

select * from with_status

{#- Our SLA engine against the SLAs the sources computed, per (ticket, metric) where both
    exist: targets first (a different target is a configuration difference, not a
    computation one), then verdicts where the targets agree and both have one. The data
    test warns when verdicts disagree on more than 5% of the comparable pairs. -#}
with

slas as (

    select * from {{ ref('fct_ticket_sla') }}

),

engine as (

    select * from slas where origin = 'engine'

),

source_counted as (

    select * from slas where origin = 'source' and is_counted

),

paired as (

    select
        engine.ticket_key,
        engine.source,
        engine.metric,
        engine.target_minutes as engine_target_minutes,
        source_counted.target_minutes as source_target_minutes,
        engine.is_breached as engine_is_breached,
        source_counted.is_breached as source_is_breached,
        engine.breach_at as engine_breach_at,
        source_counted.breach_at as source_breach_at,
        abs(engine.target_minutes - source_counted.target_minutes) < 0.5 as targets_match
    from engine
    inner join source_counted
        on source_counted.ticket_key = engine.ticket_key
        and source_counted.metric = engine.metric

),

compared as (

    select
        *,
        targets_match and engine_is_breached is not null and source_is_breached is not null as is_comparable,
        case
            when targets_match and engine_is_breached is not null and source_is_breached is not null
                then engine_is_breached = source_is_breached
        end as verdicts_match
    from paired

)

select * from compared

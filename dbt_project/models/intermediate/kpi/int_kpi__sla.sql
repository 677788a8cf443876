{#- SLA compliance and breaches over the SLA instance that counts for each ticket and metric
    (fct_ticket_sla.is_counted). An SLA enters the period in which its verdict was decided:
    a met SLA when its clock stopped, a breached one when it breached (even if still
    running), so a long-open breached ticket is not hidden until someone resolves it.
    Running SLAs within target have no verdict and do not count yet. -#}
{{ config(materialized='incremental', incremental_strategy='kpi_periods', on_schema_change='fail') }}

with

decided as materialized (

    select
        {{ local_date('case when is_breached then coalesce(breach_at, stopped_at) else stopped_at end') }}
            as anchor_date,
        metric,
        source,
        team_id,
        service_id,
        priority_at_start as priority,
        case when is_breached then 0 else 1 end as is_met,
        case when is_breached then 1 else 0 end as is_breach
    from {{ ref('fct_ticket_sla') }}
    where is_counted
        and is_breached is not null
        and (case when is_breached then coalesce(breach_at, stopped_at) else stopped_at end) is not null

),

responses as materialized (

    select * from decided where metric = 'response'

),

resolutions as materialized (

    select * from decided where metric = 'resolution'

),

breaches as materialized (

    select * from decided where is_breach = 1

),

{{ kpi_period_fingerprints(['responses', 'resolutions', 'breaches']) }}
{%- set dims = ['all', 'source', 'team', 'service', 'priority'] %}

rolled_up as (

    {{ kpi_rollup('responses', 'sla_response_compliance_pct', 'percent', 'ratio', num='is_met', den='1',
                  scale=100, dimensions=dims) }}
    union all
    {{ kpi_rollup('resolutions', 'sla_resolution_compliance_pct', 'percent', 'ratio', num='is_met', den='1',
                  scale=100, dimensions=dims) }}
    union all
    {{ kpi_rollup('breaches', 'sla_breaches', 'breaches', 'count', dimensions=dims) }}

)

{{ kpi_periods_select('rolled_up') }}

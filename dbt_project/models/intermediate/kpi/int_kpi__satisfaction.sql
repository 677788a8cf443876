{#- Satisfaction: CSAT share and mean score by response date, response rate by the
    surveyed ticket's resolution date, NPS by response date. See docs/kpis.md. -#}
{{ config(materialized='incremental', incremental_strategy='kpi_periods', on_schema_change='fail') }}

with

responses as (

    select * from {{ ref('fct_csat_responses') }}

),

csat as materialized (

    select
        {{ local_date('responded_at') }} as anchor_date,
        source,
        team_id,
        service_id,
        priority,
        case when is_satisfied then 1 else 0 end as is_satisfied,
        case when scale_min = 1 and scale_max = 5 then score end as score_1_to_5
    from responses
    where question = 'csat' and is_satisfied is not null

),

nps as materialized (

    select
        {{ local_date('responded_at') }} as anchor_date,
        source,
        team_id,
        service_id,
        priority,
        case when is_promoter then 1 when is_detractor then -1 else 0 end as net_promoter
    from responses
    where question = 'nps' and score is not null

),

-- the response rate's population: resolved tickets of sources that run a CSAT survey
surveyed as materialized (

    select
        {{ local_date('tickets.resolved_at') }} as anchor_date,
        tickets.source,
        tickets.team_id,
        tickets.service_id,
        tickets.priority,
        case when exists (
            select 1 from responses
            where responses.ticket_key = tickets.ticket_key and responses.question = 'csat'
        ) then 1 else 0 end as has_response
    from {{ ref('fct_tickets') }} as tickets
    where tickets.resolved_at is not null
        and tickets.source in (select source from responses where question = 'csat')

),

{{ kpi_period_fingerprints(['csat', 'nps', 'surveyed']) }}
{%- set dims = ['all', 'source', 'team', 'service', 'priority'] %}

rolled_up as (

    {{ kpi_rollup('csat', 'csat_pct', 'percent', 'ratio', num='is_satisfied', den='1', scale=100,
                  dimensions=dims) }}
    union all
    {{ kpi_rollup('csat', 'csat_avg_score', 'score', 'mean', expr='score_1_to_5', dimensions=dims) }}
    union all
    {{ kpi_rollup('surveyed', 'csat_response_rate_pct', 'percent', 'ratio', num='has_response', den='1',
                  scale=100, dimensions=dims) }}
    union all
    {{ kpi_rollup('nps', 'nps', 'score', 'ratio', num='net_promoter', den='1', scale=100, dimensions=dims) }}

)

{{ kpi_periods_select('rolled_up') }}

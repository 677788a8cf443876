{#- Change success and failure rates over the changes completed (closed with an outcome) in
    the period; canceled and open changes are not in either. -#}
{{ config(materialized='incremental', incremental_strategy='kpi_periods', on_schema_change='fail') }}

with

completed as materialized (

    select
        {{ local_date('closed_at') }} as anchor_date,
        source,
        team_id,
        service_id,
        case when is_successful then 1 else 0 end as is_successful,
        case when is_failed then 1 else 0 end as is_failed
    from {{ ref('fct_changes') }}
    where is_completed

),

{{ kpi_period_fingerprints(['completed']) }}
{%- set dims = ['all', 'source', 'team', 'service'] %}

rolled_up as (

    {{ kpi_rollup('completed', 'change_success_rate_pct', 'percent', 'ratio', num='is_successful', den='1',
                  scale=100, dimensions=dims) }}
    union all
    {{ kpi_rollup('completed', 'change_failure_rate_pct', 'percent', 'ratio', num='is_failed', den='1',
                  scale=100, dimensions=dims) }}

)

{{ kpi_periods_select('rolled_up') }}

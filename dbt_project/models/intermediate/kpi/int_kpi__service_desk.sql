{#- Service-desk volumes, response and resolution times and resolution quality. Durations
    and resolution rates are anchored on the date the measured span ended (first response,
    final resolution); volumes on their event date. See docs/kpis.md. -#}
{{ config(materialized='incremental', incremental_strategy='kpi_periods', on_schema_change='fail') }}

with

tickets as (

    select * from {{ ref('fct_tickets') }}

),

opened as materialized (

    select
        {{ local_date('opened_at') }} as anchor_date,
        source,
        team_id,
        service_id,
        priority
    from tickets

),

responded as materialized (

    select
        {{ local_date('first_response_at') }} as anchor_date,
        source,
        team_id,
        service_id,
        priority,
        first_response_calendar_hours
    from tickets
    where first_response_at is not null

),

resolved as materialized (

    select
        {{ local_date('resolved_at') }} as anchor_date,
        source,
        team_id,
        service_id,
        priority,
        resolution_calendar_hours,
        resolution_business_hours,
        case when is_first_contact_resolution then 1 else 0 end as is_fcr,
        case when reopen_count > 0 then 1 else 0 end as was_reopened,
        case when reassignment_count > 0 then 1 else 0 end as was_reassigned
    from tickets
    where resolved_at is not null

),

{{ kpi_period_fingerprints(['opened', 'responded', 'resolved']) }}
{%- set dims = ['all', 'source', 'team', 'service', 'priority'] %}

rolled_up as (

    {{ kpi_rollup('opened', 'tickets_opened', 'tickets', 'count', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'tickets_resolved', 'tickets', 'count', dimensions=dims) }}
    union all
    {{ kpi_rollup('responded', 'first_response_time_mean_hours', 'hours', 'mean',
                  expr='first_response_calendar_hours', dimensions=dims) }}
    union all
    {{ kpi_rollup('responded', 'first_response_time_median_hours', 'hours', 'median',
                  expr='first_response_calendar_hours', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'resolution_time_mean_hours', 'hours', 'mean',
                  expr='resolution_calendar_hours', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'resolution_time_median_hours', 'hours', 'median',
                  expr='resolution_calendar_hours', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'resolution_time_p90_hours', 'hours', 'p90',
                  expr='resolution_calendar_hours', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'resolution_time_business_mean_hours', 'hours', 'mean',
                  expr='resolution_business_hours', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'first_contact_resolution_pct', 'percent', 'ratio', num='is_fcr', den='1',
                  scale=100, dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'reopen_rate_pct', 'percent', 'ratio', num='was_reopened', den='1',
                  scale=100, dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'reassignment_rate_pct', 'percent', 'ratio', num='was_reassigned', den='1',
                  scale=100, dimensions=dims) }}

)

{{ kpi_periods_select('rolled_up') }}

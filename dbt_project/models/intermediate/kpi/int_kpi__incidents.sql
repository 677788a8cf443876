{#- Incident volumes and response: MTTA over incidents acknowledged in the period, MTTR
    (the "resolve" R: creation to resolution) over incidents resolved in it; volumes by
    creation date. See docs/kpis.md. -#}
{{ config(materialized='incremental', incremental_strategy='kpi_periods', on_schema_change='fail') }}

with

incidents as (

    select * from {{ ref('fct_incidents') }}

),

created as materialized (

    select
        {{ local_date('created_at') }} as anchor_date,
        source,
        team_id,
        service_id,
        priority,
        is_major,
        is_security
    from incidents

),

majors as materialized (

    select * from created where is_major

),

security as materialized (

    select * from created where is_security

),

acknowledged as materialized (

    select
        {{ local_date('acknowledged_at') }} as anchor_date,
        source,
        team_id,
        service_id,
        priority,
        time_to_ack_minutes
    from incidents
    where acknowledged_at is not null

),

resolved as materialized (

    select
        {{ local_date('resolved_at') }} as anchor_date,
        source,
        team_id,
        service_id,
        priority,
        is_security,
        time_to_resolve_minutes / 60.0 as time_to_resolve_hours
    from incidents
    where resolved_at is not null

),

security_resolved as materialized (

    select * from resolved where is_security

),

{{ kpi_period_fingerprints(['created', 'majors', 'security', 'acknowledged', 'resolved', 'security_resolved']) }}
{%- set dims = ['all', 'source', 'team', 'service', 'priority'] %}

rolled_up as (

    {{ kpi_rollup('created', 'incidents_count', 'incidents', 'count', dimensions=dims) }}
    union all
    {{ kpi_rollup('majors', 'major_incidents_count', 'incidents', 'count', dimensions=dims) }}
    union all
    {{ kpi_rollup('security', 'security_incidents_count', 'incidents', 'count', dimensions=dims) }}
    union all
    {{ kpi_rollup('acknowledged', 'mtta_minutes', 'minutes', 'mean', expr='time_to_ack_minutes', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'mttr_hours', 'hours', 'mean', expr='time_to_resolve_hours', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'mttr_median_hours', 'hours', 'median', expr='time_to_resolve_hours',
                  dimensions=dims) }}
    union all
    {{ kpi_rollup('security_resolved', 'security_mttr_hours', 'hours', 'mean', expr='time_to_resolve_hours',
                  dimensions=dims) }}

)

{{ kpi_periods_select('rolled_up') }}

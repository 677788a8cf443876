{#- Service-desk volumes and resolution times. Durations are anchored on the
    resolution date (items that *ended* in the period); volumes on their event date. -#}
with

tickets as (

    select * from {{ ref('fct_tickets') }}

),

opened as (

    select
        {{ local_date('opened_at') }} as anchor_date,
        source,
        team_id,
        service_id,
        priority
    from tickets

),

resolved as (

    select
        {{ local_date('resolved_at') }} as anchor_date,
        source,
        team_id,
        service_id,
        priority,
        resolution_calendar_hours
    from tickets
    where resolved_at is not null

),

{%- set dims = ['all', 'source', 'team', 'service', 'priority'] %}

rolled_up as (

    {{ kpi_rollup('opened', 'tickets_opened', 'tickets', 'count', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'tickets_resolved', 'tickets', 'count', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'resolution_time_mean_hours', 'hours', 'mean',
                  expr='resolution_calendar_hours', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'resolution_time_median_hours', 'hours', 'median',
                  expr='resolution_calendar_hours', dimensions=dims) }}
    union all
    {{ kpi_rollup('resolved', 'resolution_time_p90_hours', 'hours', 'p90',
                  expr='resolution_calendar_hours', dimensions=dims) }}

)

select * from rolled_up

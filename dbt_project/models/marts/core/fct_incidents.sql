{#- Service-impacting incidents from every source. Durations in minutes. -#}
with

incidents as (

    select * from {{ ref('int_incidents_unioned') }}

),

measured as (

    select
        incident_key,
        source,
        source_id,
        service_id,
        team_id,
        urgency,
        priority,
        created_at,
        acknowledged_at,
        resolved_at,
        {{ minutes_between('created_at', 'acknowledged_at') }} as time_to_ack_minutes,
        {{ minutes_between('created_at', 'resolved_at') }} as time_to_resolve_minutes,
        is_major,
        is_security
    from incidents

)

select * from measured

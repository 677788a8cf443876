{#- Service-impacting incidents from every source (PagerDuty incidents, ServiceNow major
    incidents). Durations in calendar minutes: incident response runs around the clock
    (on-call), so business hours do not apply. -#}
with

incidents as (

    select * from {{ ref('int_incidents_unioned') }}

),

measured as (

    select
        incident_key,
        source,
        source_id,
        number,
        service_id,
        team_id,
        urgency,
        priority,
        created_at,
        acknowledged_at,
        resolved_at,
        {{ minutes_between('created_at', 'acknowledged_at') }} as time_to_ack_minutes,
        {{ minutes_between('created_at', 'resolved_at') }} as time_to_resolve_minutes,
        coalesce(is_major, false) as is_major,
        coalesce(is_security, false) as is_security,
        updated_at
    from incidents

)

select * from measured

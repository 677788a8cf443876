{#- Service-impacting incidents: ServiceNow major incidents (PagerDuty joins with its connector). -#}
with

tickets as (

    select * from {{ ref('int_tickets_unioned') }}
    where is_major

),

incidents as (

    select
        ticket_key as incident_key,
        source,
        source_id,
        service_id,
        team_id,
        cast(null as varchar) as urgency,
        priority,
        opened_at as created_at,
        cast(null as timestamp with time zone) as acknowledged_at,
        case when status_category in ('resolved', 'closed') then resolved_at end as resolved_at,
        cast(null as {{ type_double() }}) as time_to_ack_minutes,
        case when status_category in ('resolved', 'closed') and resolved_at is not null
            then {{ minutes_between('opened_at', 'resolved_at') }}
        end as time_to_resolve_minutes,
        is_major,
        false as is_security
    from tickets

)

select * from incidents

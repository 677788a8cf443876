{#- ServiceNow major incidents in the canonical incident shape (int_incidents_unioned). -#}
with

tickets as (

    select * from {{ ref('int_tickets__servicenow') }}
    where is_major

),

canonical as (

    select
        'servicenow:' || source_id as incident_key,
        source,
        source_id,
        number,
        service_id,
        team_id,
        cast(null as varchar) as urgency,
        priority,
        opened_at as created_at,
        cast(null as timestamp with time zone) as acknowledged_at,
        case when status_category in ('resolved', 'closed') then resolved_at end as resolved_at,
        is_major,
        false as is_security,
        updated_at
    from tickets

)

select * from canonical

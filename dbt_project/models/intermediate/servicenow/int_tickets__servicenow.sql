{#- ServiceNow incidents in the canonical ticket shape consumed by int_tickets_unioned. -#}
with

incidents as (

    select * from {{ ref('stg_servicenow__incidents') }}
    where not is_deleted

),

groups as (

    select * from {{ ref('stg_servicenow__groups') }}

),

services as (

    select * from {{ ref('stg_servicenow__services') }}

),

canonical as (

    select
        'servicenow:' || incidents.incident_id as ticket_key,
        'servicenow' as source,
        incidents.incident_id as source_id,
        incidents.number,
        'incident' as ticket_type,
        incidents.priority,
        groups.team_id,
        services.service_id,
        incidents.status_category,
        coalesce(incidents.major_incident_state = 'accepted', false) as is_major,
        incidents.opened_at,
        cast(null as timestamp with time zone) as first_response_at,
        incidents.resolved_at,
        incidents.closed_at,
        incidents.reopen_count,
        incidents.reassignment_count,
        incidents.made_sla,
        incidents.updated_at
    from incidents
    left join groups
        on groups.group_id = incidents.assignment_group_id
    left join services
        on services.business_service_id = incidents.business_service_id

)

select * from canonical

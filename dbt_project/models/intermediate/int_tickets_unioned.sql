{#- Tickets from every ITSM source in one shape (ServiceNow incidents so far). -#}
with

servicenow_incidents as (

    select * from {{ ref('stg_servicenow__incidents') }}
    where not is_deleted

),

servicenow_groups as (

    select * from {{ ref('stg_servicenow__groups') }}

),

servicenow_services as (

    select * from {{ ref('stg_servicenow__services') }}

),

servicenow as (

    select
        'servicenow:' || servicenow_incidents.incident_id as ticket_key,
        'servicenow' as source,
        servicenow_incidents.incident_id as source_id,
        servicenow_incidents.number,
        'incident' as ticket_type,
        servicenow_incidents.priority,
        servicenow_groups.team_id,
        servicenow_services.service_id,
        servicenow_incidents.status_category,
        servicenow_incidents.major_incident_state = 'accepted' as is_major,
        servicenow_incidents.opened_at,
        servicenow_incidents.resolved_at,
        servicenow_incidents.closed_at,
        servicenow_incidents.reopen_count,
        servicenow_incidents.reassignment_count,
        servicenow_incidents.made_sla,
        servicenow_incidents.updated_at
    from servicenow_incidents
    left join servicenow_groups
        on servicenow_groups.group_id = servicenow_incidents.assignment_group_id
    left join servicenow_services
        on servicenow_services.business_service_id = servicenow_incidents.business_service_id

)

select * from servicenow

{#- ServiceNow incidents in the canonical ticket shape consumed by int_tickets_unioned.
    first_response_at: when the incident first left New for a working state (In Progress, On Hold,
    Resolved, Closed), from ServiceNow's "Incident State Duration" metric; null until then, and
    for an incident canceled straight from New. -#}
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

first_responses as (

    select
        incident_id,
        min(started_at) as first_response_at
    from {{ ref('stg_servicenow__state_durations') }}
    where not is_deleted
      and state_code not in ('1', '8')
    group by incident_id

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
        first_responses.first_response_at,
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
    left join first_responses
        on first_responses.incident_id = incidents.incident_id

)

select * from canonical

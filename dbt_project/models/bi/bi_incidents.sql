{{ config(materialized='view', schema='bi', alias='incidents') }}

with

incidents as (

    select * from {{ bi_ref('fct_incidents') }}

),

teams as (

    select * from {{ bi_ref('dim_teams') }}

),

services as (

    select * from {{ bi_ref('dim_services') }}

),

friendly as (

    select
        incidents.incident_key,
        incidents.source,
        incidents.source_id,
        incidents.priority,
        incidents.urgency,
        incidents.is_major as is_major_incident,
        incidents.is_security as is_security_incident,
        incidents.team_id,
        teams.team_name,
        incidents.service_id,
        services.service_name,
        incidents.created_at,
        {{ local_date('incidents.created_at') }} as created_date,
        incidents.acknowledged_at,
        incidents.resolved_at,
        {{ local_date('incidents.resolved_at') }} as resolved_date,
        incidents.time_to_ack_minutes,
        incidents.time_to_resolve_minutes,
        incidents.time_to_resolve_minutes / 60.0 as time_to_resolve_hours
    from incidents
    left join teams
        on teams.team_id = incidents.team_id
    left join services
        on services.service_id = incidents.service_id

)

select * from friendly

{#- ServiceNow's own SLA verdicts (task_sla) in the canonical ticket-SLA shape: one row per
    SLA attached to a live incident. Cancelled SLAs (the incident changed priority, so the new
    priority's SLA replaced them, or the incident was canceled) are left out, as ServiceNow's
    SLA reports do; a running SLA has no verdict yet. Targets come from the SLA definition
    (contract_sla); an SLA with a schedule runs in business hours, its target and breach
    time on that schedule. -#}
with

slas as (

    select * from {{ ref('stg_servicenow__task_slas') }}
    where not is_deleted
      and stage <> 'cancelled'

),

definitions as (

    select * from {{ ref('stg_servicenow__sla_definitions') }}

),

incidents as (

    select * from {{ ref('stg_servicenow__incidents') }}
    where not is_deleted

),

canonical as (

    select
        'servicenow:' || slas.task_sla_id as sla_key,
        'servicenow' as source,
        'servicenow:' || slas.task_id as ticket_key,
        definitions.sla_name,
        definitions.target as metric,
        definitions.duration_seconds / 60.0 as target_minutes,
        slas.started_at,
        slas.planned_end_at as breach_at,
        slas.stopped_at,
        case when slas.stage = 'completed' then slas.has_breached end as is_breached,
        slas.stage = 'paused' as is_paused,
        coalesce(slas.pause_duration_seconds, 0) / 60.0 as paused_minutes,
        definitions.schedule_id is not null as in_business_hours
    from slas
    inner join incidents
        on incidents.incident_id = slas.task_id
    inner join definitions
        on definitions.sla_definition_id = slas.sla_definition_id
    where definitions.target in ('response', 'resolution')

)

select * from canonical

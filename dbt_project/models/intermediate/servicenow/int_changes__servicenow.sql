{#- ServiceNow change requests in the canonical change shape (fct_changes is built on it).
    outcome: the close code of a closed change (successful / successful_issues /
    unsuccessful), canceled for a canceled one, null while the change is open.
    caused_incident: an incident's caused_by names this change. -#}
with

changes as (

    select * from {{ ref('stg_servicenow__changes') }}
    where not is_deleted

),

groups as (

    select * from {{ ref('stg_servicenow__groups') }}

),

services as (

    select * from {{ ref('stg_servicenow__services') }}

),

causes as (

    {#- An incident whose caused_by names the change: the change failed, whatever its
        close code says. -#}
    select distinct caused_by_change_id as change_id
    from {{ ref('stg_servicenow__incidents') }}
    where caused_by_change_id is not null and not is_deleted

),

canonical as (

    select
        'servicenow:' || changes.change_id as change_key,
        'servicenow' as source,
        changes.change_id as source_id,
        changes.number,
        services.service_id,
        groups.team_id,
        changes.change_type,
        changes.risk,
        changes.opened_at as created_at,
        changes.planned_start_at,
        changes.planned_end_at,
        changes.work_start_at,
        changes.work_end_at,
        changes.closed_at,
        case
            when changes.state = 'canceled' then 'canceled'
            when changes.state = 'closed'
                and changes.close_code in ('successful', 'successful_issues', 'unsuccessful')
                then changes.close_code
        end as outcome,
        causes.change_id is not null as caused_incident,
        changes.updated_at
    from changes
    left join groups
        on groups.group_id = changes.assignment_group_id
    left join services
        on services.business_service_id = changes.business_service_id
    left join causes
        on causes.change_id = changes.change_id

)

select * from canonical

{#- ServiceNow change requests in the canonical change shape (fct_changes is built on it).
    outcome: the close code of a closed change (successful / successful_issues /
    unsuccessful), canceled for a canceled one, null while the change is open. -#}
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
        changes.work_start_at,
        changes.work_end_at,
        changes.closed_at,
        case
            when changes.state = 'canceled' then 'canceled'
            when changes.state = 'closed'
                and changes.close_code in ('successful', 'successful_issues', 'unsuccessful')
                then changes.close_code
        end as outcome,
        changes.updated_at
    from changes
    left join groups
        on groups.group_id = changes.assignment_group_id
    left join services
        on services.business_service_id = changes.business_service_id

)

select * from canonical

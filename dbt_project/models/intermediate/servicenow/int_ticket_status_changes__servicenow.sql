{#- ServiceNow incident status history in the canonical status-change shape, from ServiceNow's
    own "Incident State Duration" metric (metric_instance): one row per state an incident
    entered, its first state at creation included, with the assignment group it had at that
    moment (from the "Assignment Group" metric). Priority history is not recorded there: null. -#}
with

incidents as (

    select * from {{ ref('stg_servicenow__incidents') }}
    where not is_deleted

),

states as (

    select * from {{ ref('stg_servicenow__state_durations') }}
    where not is_deleted

),

assignments as (

    select * from {{ ref('stg_servicenow__assignment_durations') }}
    where not is_deleted

),

groups as (

    select * from {{ ref('stg_servicenow__groups') }}

),

team_at_change as (

    -- the assignment interval in force when the state changed (started at or before it)
    select
        states.metric_instance_id,
        groups.team_id,
        row_number() over (
            partition by states.metric_instance_id
            order by assignments.started_at desc, assignments.metric_instance_id desc
        ) as recency
    from states
    inner join assignments
        on assignments.incident_id = states.incident_id
        and assignments.started_at <= states.started_at
    left join groups
        on groups.group_id = assignments.assignment_group_id

),

canonical as (

    select
        'servicenow:' || states.incident_id as ticket_key,
        'servicenow' as source,
        states.started_at as changed_at,
        states.status_category,
        states.state_name as source_status,
        team_at_change.team_id,
        cast(null as integer) as priority
    from states
    inner join incidents
        on incidents.incident_id = states.incident_id
    left join team_at_change
        on team_at_change.metric_instance_id = states.metric_instance_id
        and team_at_change.recency = 1

)

select * from canonical

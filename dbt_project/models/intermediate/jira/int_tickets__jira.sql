{#- Jira Service Management issues in the canonical ticket shape (int_tickets_unioned).

    ticket_type     issue type "Incident" -> incident, any other request -> service_request
    team_id         slug of the Atlassian Team field; service_id: slug of the first component
    is_major        an Incident at priority Highest
    first_response_at  stop of the first completed "Time to first response" SLA cycle (JSM
                    stops it at the first public reply to the customer)
    resolved_at     Jira's resolutiondate (cleared by Jira on reopen), for resolved/closed issues
    closed_at       when the issue last entered its current Closed / Canceled status (changelog)
    reopen_count    null: Jira keeps no native count (reopens are derived from status changes)
    reassignment_count  Team changes from one team to another in the changelog
    made_sla        not breached, in the last completed "Time to resolution" cycle
    Deleted issues are excluded. -#}
with

issues as (

    select * from {{ ref('stg_jira__issues') }}
    where not is_deleted

),

status_changes as (

    select * from {{ ref('stg_jira__status_changes') }}

),

field_changes as (

    select * from {{ ref('stg_jira__issue_field_changes') }}

),

custom_fields as (

    select * from {{ ref('stg_jira__custom_fields') }}

),

slas as (

    select * from {{ ref('stg_jira__slas') }}
    where cycle_state = 'completed'

),

entered_current_status as (

    select
        status_changes.issue_id,
        max(status_changes.changed_at) as entered_at
    from status_changes
    inner join issues
        on issues.issue_id = status_changes.issue_id
        and issues.status_name = status_changes.to_status
    group by 1

),

team_reassignments as (

    select
        field_changes.issue_id,
        count(*) as reassignment_count
    from field_changes
    cross join custom_fields
    where (field_changes.field_id = custom_fields.team_field_id
           or (field_changes.field_id is null and field_changes.field_name = 'Team'))
      and field_changes.from_value is not null
      and field_changes.to_value is not null
    group by 1

),

first_response as (

    select
        issue_id,
        min(stopped_at) as first_response_at
    from slas
    where metric = 'response'
    group by 1

),

last_resolution_cycle as (

    select
        issue_id,
        is_breached,
        row_number() over (partition by issue_id order by cycle_number desc) as recency
    from slas
    where metric = 'resolution'

),

canonical as (

    select
        'jira:' || issues.issue_id as ticket_key,
        'jira' as source,
        issues.issue_id as source_id,
        issues.issue_key as number,
        case when lower(issues.issue_type) in ('incident', '[system] incident') then 'incident'
             else 'service_request' end as ticket_type,
        issues.priority,
        issues.team_id,
        issues.service_id,
        issues.status_category,
        coalesce(lower(issues.issue_type) in ('incident', '[system] incident') and issues.priority = 1, false)
            as is_major,
        issues.created_at as opened_at,
        first_response.first_response_at,
        case when issues.status_category in ('resolved', 'closed') then issues.resolved_at end as resolved_at,
        case when issues.status_category in ('closed', 'canceled')
             then coalesce(entered_current_status.entered_at, issues.status_category_changed_at) end as closed_at,
        cast(null as integer) as reopen_count,
        cast(coalesce(team_reassignments.reassignment_count, 0) as integer) as reassignment_count,
        not last_resolution_cycle.is_breached as made_sla,
        issues.updated_at
    from issues
    left join entered_current_status
        on entered_current_status.issue_id = issues.issue_id
    left join team_reassignments
        on team_reassignments.issue_id = issues.issue_id
    left join first_response
        on first_response.issue_id = issues.issue_id
    left join last_resolution_cycle
        on last_resolution_cycle.issue_id = issues.issue_id
        and last_resolution_cycle.recency = 1

)

select * from canonical

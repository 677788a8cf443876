{#- Jira status history in the canonical status-change shape: the status at creation (the
    first transition's from-status, or the current status when it never moved) and every
    transition from the changelog, each with the Team and priority in force just after it
    (the latest Team / priority change at or before it; before the first change, that
    change's from-value; with no change at all, the current value). -#}
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

first_transition as (

    select
        issue_id,
        from_status,
        row_number() over (partition by issue_id order by changed_at, history_seq) as position
    from status_changes

),

timeline as (

    select
        issues.issue_id,
        issues.created_at as changed_at,
        cast(-1 as bigint) as history_seq,
        coalesce(first_transition.from_status, issues.status_name) as source_status
    from issues
    left join first_transition
        on first_transition.issue_id = issues.issue_id
        and first_transition.position = 1

    union all

    select
        status_changes.issue_id,
        status_changes.changed_at,
        status_changes.history_seq,
        status_changes.to_status
    from status_changes
    inner join issues
        on issues.issue_id = status_changes.issue_id

),

tracked_changes as (

    select
        field_changes.issue_id,
        field_changes.changed_at,
        field_changes.history_seq,
        case when field_changes.field_id = 'priority' or (field_changes.field_id is null
                                                          and field_changes.field_name = 'priority')
             then 'priority' else 'team' end as tracked,
        field_changes.from_string,
        field_changes.to_string
    from field_changes
    cross join custom_fields
    where field_changes.field_id = 'priority'
       or field_changes.field_id = custom_fields.team_field_id
       or (field_changes.field_id is null and field_changes.field_name in ('priority', 'Team'))

),

first_tracked as (

    select
        issue_id,
        tracked,
        from_string,
        row_number() over (partition by issue_id, tracked order by changed_at, history_seq) as position
    from tracked_changes

),

value_in_force as (

    select
        timeline.issue_id,
        timeline.changed_at,
        timeline.history_seq,
        tracked_changes.tracked,
        tracked_changes.to_string,
        row_number() over (
            partition by timeline.issue_id, timeline.changed_at, timeline.history_seq, tracked_changes.tracked
            order by tracked_changes.changed_at desc, tracked_changes.history_seq desc
        ) as recency
    from timeline
    inner join tracked_changes
        on tracked_changes.issue_id = timeline.issue_id
        and (tracked_changes.changed_at < timeline.changed_at
             or (tracked_changes.changed_at = timeline.changed_at
                 and tracked_changes.history_seq <= timeline.history_seq))

),

canonical as (

    select
        'jira:' || timeline.issue_id as ticket_key,
        'jira' as source,
        timeline.changed_at,
        {{ jira_status_category('timeline.source_status') }} as status_category,
        timeline.source_status,
        {{ slug("case when team_now.issue_id is not null then team_now.to_string
                      when team_first.issue_id is not null then team_first.from_string
                      else issues.team_name end") }} as team_id,
        case when priority_now.issue_id is not null then {{ jira_priority_rank('priority_now.to_string', 'null') }}
             when priority_first.issue_id is not null
                 then {{ jira_priority_rank('priority_first.from_string', 'null') }}
             else issues.priority end as priority
    from timeline
    inner join issues
        on issues.issue_id = timeline.issue_id
    left join value_in_force as team_now
        on team_now.issue_id = timeline.issue_id
        and team_now.changed_at = timeline.changed_at
        and team_now.history_seq = timeline.history_seq
        and team_now.tracked = 'team'
        and team_now.recency = 1
    left join value_in_force as priority_now
        on priority_now.issue_id = timeline.issue_id
        and priority_now.changed_at = timeline.changed_at
        and priority_now.history_seq = timeline.history_seq
        and priority_now.tracked = 'priority'
        and priority_now.recency = 1
    left join first_tracked as team_first
        on team_first.issue_id = timeline.issue_id
        and team_first.tracked = 'team'
        and team_first.position = 1
    left join first_tracked as priority_first
        on priority_first.issue_id = timeline.issue_id
        and priority_first.tracked = 'priority'
        and priority_first.position = 1

)

select * from canonical

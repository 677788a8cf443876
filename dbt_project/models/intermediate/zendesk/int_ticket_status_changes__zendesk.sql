{#- Zendesk ticket status history in the canonical status-change shape: one row per
    status set (the initial status at creation, then every change), with the group
    and priority in force after the audit. Deleted tickets are excluded. -#}
with

changes as (

    select * from {{ ref('stg_zendesk__ticket_field_changes') }}

),

tickets as (

    select * from {{ ref('stg_zendesk__tickets') }}

),

groups as (

    select * from {{ ref('stg_zendesk__groups') }}

),

audits as (

    -- one row per audit that set a status, group or priority
    select
        ticket_id,
        event_id,
        changed_at,
        max(status) as status,
        max(group_id) as group_id,
        max(priority) as priority
    from changes
    where status is not null or group_id is not null or priority is not null
    group by 1, 2, 3

),

carried as (

    -- a running count of non-null values numbers the stretches over which a value holds
    select
        *,
        count(group_id) over (partition by ticket_id order by changed_at, event_id
                              rows between unbounded preceding and current row) as group_run,
        count(priority) over (partition by ticket_id order by changed_at, event_id
                              rows between unbounded preceding and current row) as priority_run
    from audits

),

filled as (

    select
        ticket_id,
        event_id,
        changed_at,
        status,
        max(group_id) over (partition by ticket_id, group_run) as group_id,
        max(priority) over (partition by ticket_id, priority_run) as priority
    from carried

),

canonical as (

    select
        'zendesk:' || filled.ticket_id as ticket_key,
        'zendesk' as source,
        filled.changed_at,
        case
            when filled.status in ('new', 'open') then 'open'
            when filled.status in ('pending', 'hold') then 'pending'
            when filled.status = 'solved' then 'resolved'
            when filled.status = 'closed' and tickets.is_canceled then 'canceled'
            when filled.status = 'closed' then 'closed'
        end as status_category,
        filled.status as source_status,
        groups.team_id,
        case filled.priority
            when 'urgent' then 1
            when 'high' then 2
            when 'normal' then 3
            when 'low' then 4
        end as priority
    from filled
    inner join tickets
        on tickets.ticket_id = filled.ticket_id
    left join groups
        on groups.group_id = filled.group_id
    where filled.status is not null
      and filled.status <> 'deleted'
      and not tickets.is_deleted

)

select * from canonical

{#- Zendesk tickets in the canonical ticket shape consumed by int_tickets_unioned.
    Zendesk's native metric set supplies the first reply, the last solve, reopens and
    group stations; deleted tickets are excluded. -#}
with

tickets as (

    select * from {{ ref('stg_zendesk__tickets') }}
    where not is_deleted

),

metrics as (

    select * from {{ ref('stg_zendesk__ticket_metrics') }}

),

groups as (

    select * from {{ ref('stg_zendesk__groups') }}

),

classified as (

    select
        tickets.*,
        case
            when tickets.status in ('new', 'open') then 'open'
            when tickets.status in ('pending', 'hold') then 'pending'
            when tickets.status = 'solved' then 'resolved'
            when tickets.status = 'closed' and tickets.is_canceled then 'canceled'
            when tickets.status = 'closed' then 'closed'
        end as status_category
    from tickets

),

canonical as (

    select
        'zendesk:' || classified.ticket_id as ticket_key,
        'zendesk' as source,
        classified.ticket_id as source_id,
        classified.ticket_id as number,
        case when classified.ticket_type in ('incident', 'problem') then 'incident' else 'service_request' end
            as ticket_type,
        case classified.priority
            when 'urgent' then 1
            when 'high' then 2
            when 'normal' then 3
            when 'low' then 4
        end as priority,
        groups.team_id,
        classified.service_value as service_id,
        classified.status_category,
        -- Zendesk has no major-incident flag
        false as is_major,
        classified.created_at as opened_at,
        -- reply_time is whole minutes from creation to the first public agent reply
        case when metrics.reply_time_calendar_minutes is not null
            then {{ dbt.dateadd('minute', 'metrics.reply_time_calendar_minutes', 'classified.created_at') }}
        end as first_response_at,
        case when classified.status_category in ('resolved', 'closed') then metrics.solved_at end as resolved_at,
        -- closed is final: the last status change of a closed ticket is its closing
        case when classified.status = 'closed' then metrics.status_updated_at end as closed_at,
        metrics.reopens as reopen_count,
        greatest(coalesce(metrics.group_stations, 1) - 1, 0) as reassignment_count,
        cast(null as boolean) as made_sla,
        classified.updated_at
    from classified
    left join metrics
        on metrics.ticket_id = classified.ticket_id
    left join groups
        on groups.group_id = classified.group_id

)

select * from canonical

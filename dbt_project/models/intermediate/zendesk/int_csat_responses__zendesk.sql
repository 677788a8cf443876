{#- Zendesk satisfaction ratings in the canonical CSAT shape. Only received ratings
    (good / bad) are responses: the list also holds surveys offered but unanswered and
    never offered, which must not count. Zendesk's scale is binary: good = 1, bad = 0.

    is_ticket_pending: a rating can land before its ticket. The ticket exports never return
    the latest minute and the ratings list does, and a rating's own time says nothing of when
    its ticket last changed (an automation may touch it days after the rating). A ticket
    touched in that minute before every pull (an hourly automation, a pull on the hour) can
    stay out of the exports for days, so a rating whose ticket is missing is pending while it
    landed within a week of the latest ticket export's start (var csat_ticket_wait_days).
    Older, it is a broken reference, and fct_csat_responses' relationships test fails.
-#}
with

ratings as (

    select * from {{ ref('stg_zendesk__satisfaction_ratings') }}
    where is_received and not is_deleted

),

tickets as (

    select * from {{ ref('stg_zendesk__tickets') }}

),

ticket_loads as (

    select max(started_at) as last_started_at
    from {{ source('meta', 'load_runs') }}
    where source = 'zendesk' and stream = 'tickets' and mode = 'incremental' and status = 'succeeded'

),

canonical as (

    select
        'zendesk:' || ratings.rating_id as response_key,
        'zendesk' as source,
        ratings.rating_id as source_id,
        'zendesk:' || ratings.ticket_id as ticket_key,
        ratings.updated_at as responded_at,
        'csat' as question,
        case ratings.score when 'good' then 1 else 0 end as score,
        0 as scale_min,
        1 as scale_max,
        ratings.score = 'good' as is_satisfied,
        ratings.comment,
        coalesce(
            tickets.ticket_id is null
            and (
                ticket_loads.last_started_at is null
                or ratings._loaded_at
                >= ticket_loads.last_started_at - to_days({{ var('csat_ticket_wait_days') }})
            ),
            false
        ) as is_ticket_pending
    from ratings
    cross join ticket_loads
    left join tickets
        on tickets.ticket_id = ratings.ticket_id
    -- ratings of deleted tickets go with them
    where not coalesce(tickets.is_deleted, false)

)

select * from canonical

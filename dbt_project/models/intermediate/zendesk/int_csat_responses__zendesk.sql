{#- Zendesk satisfaction ratings in the canonical CSAT shape. Only received ratings
    (good / bad) are responses: the list also holds surveys offered but unanswered and
    never offered, which must not count. Zendesk's scale is binary: good = 1, bad = 0. -#}
with

ratings as (

    select * from {{ ref('stg_zendesk__satisfaction_ratings') }}
    where is_received and not is_deleted

),

tickets as (

    select * from {{ ref('stg_zendesk__tickets') }}

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
        ratings.comment
    from ratings
    left join tickets
        on tickets.ticket_id = ratings.ticket_id
    -- ratings of deleted tickets go with them
    where not coalesce(tickets.is_deleted, false)

)

select * from canonical

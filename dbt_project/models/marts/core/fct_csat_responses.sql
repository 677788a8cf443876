{#- One row per satisfaction survey response, attributed to the ticket's source, team,
    service and priority.

    is_satisfied: on a 1-5 scale, 4 and 5 are satisfied and 1-3 are not, whatever the source
    says; other CSAT scales (Zendesk's good / bad) keep the source's verdict. NPS answers
    (0-10) are promoters at 9-10 and detractors at 0-6.

    is_ticket_pending: the response landed before its ticket (see int_csat_responses__zendesk);
    it counts overall and joins its team, service and priority when the ticket lands. -#}
with

responses as (

    select * from {{ ref('int_csat_responses_unioned') }}

),

tickets as (

    select ticket_key, team_id, service_id, priority from {{ ref('int_tickets_unioned') }}

),

classified as (

    select
        responses.response_key,
        responses.source,
        responses.source_id,
        responses.ticket_key,
        tickets.team_id,
        tickets.service_id,
        tickets.priority,
        responses.responded_at,
        responses.question,
        responses.score,
        responses.scale_min,
        responses.scale_max,
        case
            when responses.question <> 'csat' then null
            when responses.scale_min = 1 and responses.scale_max = 5 and responses.score is not null
                then responses.score >= 4
            else responses.is_satisfied
        end as is_satisfied,
        case when responses.question = 'nps' and responses.score is not null then responses.score >= 9 end
            as is_promoter,
        case when responses.question = 'nps' and responses.score is not null then responses.score <= 6 end
            as is_detractor,
        responses.comment,
        responses.is_ticket_pending and tickets.ticket_key is null as is_ticket_pending
    from responses
    left join tickets
        on tickets.ticket_key = responses.ticket_key

)

select * from classified

{#- Satisfaction survey responses (CSAT and NPS) from every source: the union of the
    int_csat_responses__<source> models. -#}
{%- set sources = ['int_csat_responses__servicenow', 'int_csat_responses__zendesk', 'int_csat_responses__jira'] %}
{%- set columns = ['response_key', 'source', 'source_id', 'ticket_key', 'responded_at', 'question', 'score',
                   'scale_min', 'scale_max', 'is_satisfied', 'comment', 'is_ticket_pending'] %}

with

unioned as (

    {{ union_canonical(sources, columns) }}

)

select * from unioned

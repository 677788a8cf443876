{#- Satisfaction survey responses (CSAT and NPS) from every source: the union of the
    int_csat_responses__<source> models. Empty until a source with surveys is registered. -#}
{%- set sources = [] %}
{%- set columns = ['response_key', 'source', 'source_id', 'ticket_key', 'responded_at', 'question', 'score',
                   'scale_min', 'scale_max', 'is_satisfied', 'comment'] %}

with

unioned as (

    {{ union_canonical(sources, columns) }}

)

select * from unioned

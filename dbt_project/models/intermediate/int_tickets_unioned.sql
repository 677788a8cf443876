{#- Tickets from every ITSM source: the union of the int_tickets__<source> models
    (canonical columns documented in _intermediate__models.yml and docs/adding-a-source.md). -#}
{#- A view: reading the per-source tables through it costs less than rewriting millions of
    unchanged rows every night (bench/NOTES.md, nightly increment). -#}
{{ config(materialized='view') }}
{%- set sources = ['int_tickets__servicenow', 'int_tickets__zendesk', 'int_tickets__jira'] %}
{%- set columns = ['ticket_key', 'source', 'source_id', 'number', 'ticket_type', 'priority', 'team_id',
                   'service_id', 'status_category', 'is_major', 'opened_at', 'first_response_at', 'resolved_at',
                   'closed_at', 'reopen_count', 'reassignment_count', 'made_sla', 'updated_at'] %}

with

unioned as (

    {{ union_canonical(sources, columns) }}

)

select * from unioned

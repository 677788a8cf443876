{#- Ticket status history from every ITSM source: the union of the
    int_ticket_status_changes__<source> models. One row per change, including the initial
    status at creation; team_id and priority are the values after the change when known. -#}
{#- A view: reading the per-source tables through it costs less than rewriting millions of
    unchanged rows every night (bench/NOTES.md, nightly increment). -#}
{{ config(materialized='view') }}
{%- set sources = ['int_ticket_status_changes__servicenow', 'int_ticket_status_changes__zendesk', 'int_ticket_status_changes__jira'] %}
{%- set columns = ['ticket_key', 'source', 'changed_at', 'status_category', 'source_status', 'team_id',
                   'priority'] %}

with

unioned as (

    {{ union_canonical(sources, columns) }}

)

select * from unioned

{#- SLA instances computed by the sources themselves (ServiceNow task_sla, Jira Service
    Management SLA cycles, Zendesk SLA policies): the union of the int_ticket_slas__<source>
    models. fct_ticket_sla reconciles them with our own engine. -#}
{#- A view: reading the per-source tables through it costs less than rewriting millions of
    unchanged rows every night (bench/NOTES.md, nightly increment). -#}
{{ config(materialized='view') }}
{%- set sources = ['int_ticket_slas__servicenow', 'int_ticket_slas__jira'] %}
{%- set columns = ['sla_key', 'source', 'ticket_key', 'sla_name', 'metric', 'target_minutes', 'started_at',
                   'breach_at', 'stopped_at', 'is_breached', 'is_paused', 'paused_minutes', 'in_business_hours'] %}

with

unioned as (

    {{ union_canonical(sources, columns) }}

)

select * from unioned

{#- Worked time from every time tracker: the union of the int_time_entries__<source> models. -#}
{#- A view: reading the per-source tables through it costs less than rewriting millions of
    unchanged rows every night (bench/NOTES.md, nightly increment). -#}
{{ config(materialized='view') }}
{%- set sources = ['int_time_entries__harvest', 'int_time_entries__runn'] %}
{%- set columns = ['time_entry_key', 'source', 'source_id', 'person_id', 'team_id', 'project_id', 'entry_date',
                   'task_name', 'hours', 'billable_hours', 'cost_amount', 'is_billable', 'updated_at'] %}

with

unioned as (

    {{ union_canonical(sources, columns) }}

)

select * from unioned

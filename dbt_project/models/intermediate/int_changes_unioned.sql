{#- Change requests from every source: the union of the int_changes__<source> models. -#}
{%- set sources = ['int_changes__servicenow'] %}
{%- set columns = ['change_key', 'source', 'source_id', 'number', 'service_id', 'team_id', 'change_type', 'risk',
                   'outcome', 'created_at', 'planned_start_at', 'planned_end_at', 'work_start_at', 'work_end_at',
                   'closed_at', 'caused_incident', 'updated_at'] %}

with

unioned as (

    {{ union_canonical(sources, columns) }}

)

select * from unioned

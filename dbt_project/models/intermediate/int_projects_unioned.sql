{#- Projects from every source: the union of the int_projects__<source> models. The same project
    kept in Harvest and Runn appears once per source (project_key differs, project_id, the slug of
    its name, is shared). -#}
{%- set sources = ['int_projects__harvest', 'int_projects__runn'] %}
{%- set columns = ['project_key', 'source', 'source_id', 'project_id', 'project_name', 'client_name', 'team_id',
                   'pricing_model', 'budget_amount', 'budget_hours', 'currency', 'start_date', 'end_date',
                   'is_confirmed', 'is_active', 'updated_at'] %}

with

unioned as (

    {{ union_canonical(sources, columns) }}

)

select * from unioned

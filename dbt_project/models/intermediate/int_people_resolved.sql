{#- One row per human across sources, keyed on the normalised e-mail address.
    Each source contributes int_people__<source> (source, source_user_id, email,
    full_name, team_id, team_name, is_active). -#}
{%- set sources = ['int_people__servicenow', 'int_people__harvest', 'int_people__jira'] %}
{%- set columns = ['source', 'source_user_id', 'email', 'full_name', 'team_id', 'team_name', 'is_active'] %}

with

identities as (

    {{ union_canonical(sources, columns) }}

),

resolved as (

    select
        {{ person_key('email') }} as person_id,
        email,
        max(full_name) as full_name,
        max(case when source = 'servicenow' then source_user_id end) as servicenow_user_id,
        max(case when source = 'harvest' then source_user_id end) as harvest_user_id,
        max(team_id) as team_id,
        bool_or(is_active) as is_active
    from identities
    group by 1, 2

)

select * from resolved

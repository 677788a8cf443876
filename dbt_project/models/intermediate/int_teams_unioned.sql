{#- Teams (assignment groups, Zendesk groups, PagerDuty and Runn teams) from every source:
    the union of the int_teams__<source> models, keyed on the slug of the team's name. -#}
{%- set sources = ['int_teams__servicenow', 'int_teams__pagerduty', 'int_teams__runn', 'int_teams__zendesk'] %}
{%- set columns = ['team_id', 'source', 'source_team_id', 'team_name', 'is_active'] %}

with

unioned as (

    {{ union_canonical(sources, columns) }}

)

select * from unioned

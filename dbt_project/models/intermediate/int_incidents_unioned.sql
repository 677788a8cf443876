{#- Service-impacting incidents from every source: the union of the int_incidents__<source> models. -#}
{%- set sources = ['int_incidents__servicenow', 'int_incidents__pagerduty'] %}
{%- set columns = ['incident_key', 'source', 'source_id', 'number', 'service_id', 'team_id', 'urgency', 'priority',
                   'created_at', 'acknowledged_at', 'resolved_at', 'is_major', 'is_security', 'updated_at'] %}

with

unioned as (

    {{ union_canonical(sources, columns) }}

)

select * from unioned

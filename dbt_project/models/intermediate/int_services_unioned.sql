{#- Business services (ServiceNow business services, PagerDuty services, ...) from every
    source: the union of the int_services__<source> models, keyed on the slug of the name. -#}
{%- set sources = ['int_services__servicenow', 'int_services__pagerduty'] %}
{%- set columns = ['service_id', 'source', 'source_service_id', 'service_name', 'team_id', 'criticality'] %}

with

unioned as (

    {{ union_canonical(sources, columns) }}

)

select * from unioned

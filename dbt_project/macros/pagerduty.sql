{#- PagerDuty references come in arrays (teams, assignments, acknowledgements): the text of
    `field` (dotted for nested objects, e.g. assignee.id) in the first element of
    `array_field`, on DuckDB and Postgres alike. -#}
{% macro pagerduty_first(column, array_field, field) -%}
    {{ return(adapter.dispatch('pagerduty_first', 'itops_kpi')(column, array_field, field)) }}
{%- endmacro %}

{% macro default__pagerduty_first(column, array_field, field) -%}
    json_extract_string({{ column }}, '$.{{ array_field }}[0].{{ field }}')
{%- endmacro %}

{% macro postgres__pagerduty_first(column, array_field, field) -%}
    {%- set parts = field.split('.') -%}
    ({{ column }}::jsonb -> '{{ array_field }}' -> 0
    {%- for part in parts[:-1] %} -> '{{ part }}'{% endfor %} ->> '{{ parts[-1] }}')
{%- endmacro %}

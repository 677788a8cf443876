{#- Zendesk JSON shapes: arrays of tags, custom fields and child events. Each macro
    dispatches so the Zendesk models compile on DuckDB and on PostgreSQL alike. -#}

{#- True when the JSON array at `path` (e.g. '$.tags') holds the string `value`. -#}
{% macro json_array_contains(column, path, value) -%}
    {{ return(adapter.dispatch('json_array_contains', 'itops_kpi')(column, path, value)) }}
{%- endmacro %}

{% macro default__json_array_contains(column, path, value) -%}
    coalesce(list_contains(from_json(json_extract({{ column }}, '{{ path }}'), '["varchar"]'), '{{ value }}'), false)
{%- endmacro %}

{% macro postgres__json_array_contains(column, path, value) -%}
    coalesce(({{ column }}::jsonb #> '{{ "{" ~ path.replace("$.", "").replace(".", ",") ~ "}" }}') ? '{{ value }}', false)
{%- endmacro %}

{#- The value of a Zendesk custom field (`custom_fields: [{"id": ..., "value": ...}]`) by field id. -#}
{% macro zendesk_custom_field(column, field_id) -%}
    {{ return(adapter.dispatch('zendesk_custom_field', 'itops_kpi')(column, field_id)) }}
{%- endmacro %}

{% macro default__zendesk_custom_field(column, field_id) -%}
    (select json_extract_string(field, '$.value')
     from (select unnest(from_json(json_extract({{ column }}, '$.custom_fields'), '["json"]')) as field)
     where try_cast(json_extract_string(field, '$.id') as bigint) = {{ field_id }}
     limit 1)
{%- endmacro %}

{% macro postgres__zendesk_custom_field(column, field_id) -%}
    (select field ->> 'value'
     from jsonb_array_elements({{ column }}::jsonb -> 'custom_fields') as field
     where (field ->> 'id')::bigint = {{ field_id }}
     limit 1)
{%- endmacro %}

{#- One output row per element of the JSON array at `path`, as a set-returning select expression. -#}
{% macro json_array_elements(column, path) -%}
    {{ return(adapter.dispatch('json_array_elements', 'itops_kpi')(column, path)) }}
{%- endmacro %}

{% macro default__json_array_elements(column, path) -%}
    unnest(from_json(json_extract({{ column }}, '{{ path }}'), '["json"]'))
{%- endmacro %}

{% macro postgres__json_array_elements(column, path) -%}
    jsonb_array_elements({{ column }}::jsonb #> '{{ "{" ~ path.replace("$.", "").replace(".", ",") ~ "}" }}')
{%- endmacro %}

{#- The settings the Zendesk ticket staging reads (the custom field holding the service), as
    a SQL literal: its incremental rows are all rebuilt when they change (macros/incremental.sql). -#}
{% macro zendesk_tickets_config_hash() -%}
    '{{ var("zendesk_service_field_id", 360000100001) }}'
{%- endmacro %}

{#- Reading the raw JSON records. Raw tables keep each source record whole in a JSON
    column; staging models pick fields with these macros so that the same models
    compile on DuckDB (the default) and on other warehouses (see docs/deploy.md). -#}

{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text', 'itops_kpi')(column, path)) }}
{%- endmacro %}

{% macro default__json_text(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro postgres__json_text(column, path) -%}
    ({{ column }}::jsonb #>> '{{ "{" ~ path.replace("$.", "").replace("[", ".").replace("]", "").replace(".", ",") ~ "}" }}')
{%- endmacro %}

{#- A ServiceNow string value; the Table API sends "" for empty, never null. -#}
{% macro sn_value(column, field) -%}
    nullif({{ json_text(column, '$.' ~ field) }}, '')
{%- endmacro %}

{#- A ServiceNow reference: {"link", "value"} by default, a bare sys_id with
    sysparm_exclude_reference_link=true, and "" when empty. -#}
{% macro sn_ref(column, field) -%}
    coalesce({{ json_text(column, '$.' ~ field ~ '.value') }}, {{ sn_value(column, field) }})
{%- endmacro %}

{#- ServiceNow DB-value datetimes are UTC 'YYYY-MM-DD HH:MM:SS' strings. -#}
{% macro sn_timestamp(column, field) -%}
    {{ return(adapter.dispatch('sn_timestamp', 'itops_kpi')(column, field)) }}
{%- endmacro %}

{% macro default__sn_timestamp(column, field) -%}
    (try_strptime({{ sn_value(column, field) }}, '%Y-%m-%d %H:%M:%S') at time zone 'UTC')
{%- endmacro %}

{% macro postgres__sn_timestamp(column, field) -%}
    (to_timestamp({{ sn_value(column, field) }}, 'YYYY-MM-DD HH24:MI:SS')::timestamp at time zone 'UTC')
{%- endmacro %}

{#- ISO-8601 text (with Z, +00:00 or -0700 offsets) to a UTC timestamp; unparseable -> null. -#}
{% macro iso_timestamp(expression) -%}
    {{ return(adapter.dispatch('iso_timestamp', 'itops_kpi')(expression)) }}
{%- endmacro %}

{% macro default__iso_timestamp(expression) -%}
    try_cast({{ expression }} as timestamptz)
{%- endmacro %}

{% macro postgres__iso_timestamp(expression) -%}
    cast({{ expression }} as timestamptz)
{%- endmacro %}

{% macro safe_cast(expression, type) -%}
    {{ return(adapter.dispatch('safe_cast', 'itops_kpi')(expression, type)) }}
{%- endmacro %}

{% macro default__safe_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{% macro postgres__safe_cast(expression, type) -%}
    cast({{ expression }} as {{ type }})
{%- endmacro %}

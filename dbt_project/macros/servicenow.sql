{#- ServiceNow-specific parsing shared by the staging models of raw_servicenow. -#}

{#- A glide duration ("1970-01-03 04:05:06": an offset from the epoch, days rolled into the
    date) as whole seconds; null when empty. -#}
{% macro sn_duration_seconds(column, field) -%}
    {{ return(adapter.dispatch('sn_duration_seconds', 'itops_kpi')(column, field)) }}
{%- endmacro %}

{% macro default__sn_duration_seconds(column, field) -%}
    cast(epoch(try_strptime({{ sn_value(column, field) }}, '%Y-%m-%d %H:%M:%S')) as bigint)
{%- endmacro %}

{% macro postgres__sn_duration_seconds(column, field) -%}
    cast(extract(epoch from to_timestamp({{ sn_value(column, field) }}, 'YYYY-MM-DD HH24:MI:SS')::timestamp) as bigint)
{%- endmacro %}

{#- ServiceNow incident state code -> canonical status category. -#}
{% macro sn_incident_status_category(code_expression) -%}
    case {{ code_expression }}
        when '1' then 'open'
        when '2' then 'open'
        when '3' then 'pending'
        when '6' then 'resolved'
        when '7' then 'closed'
        when '8' then 'canceled'
        else 'open'
    end
{%- endmacro %}

{#- Reading Jira records. Jira custom field ids differ per site (customfield_10031 here,
    customfield_12702 there), so staging finds them by name in raw_jira.fields and reads
    them with a key computed at run time; and Jira nests lists (changelog histories and
    their items, SLA cycles, components) that staging unnests into rows. -#}

{#- The JSON value at a constant path (an object or array, not text). -#}
{% macro jira_json_at(column, path) -%}
    {{ return(adapter.dispatch('jira_json_at', 'itops_kpi')(column, path)) }}
{%- endmacro %}

{% macro default__jira_json_at(column, path) -%}
    json_extract({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro postgres__jira_json_at(column, path) -%}
    ({{ column }}::jsonb #> '{{ "{" ~ path.replace("$.", "").replace(".", ",") ~ "}" }}')
{%- endmacro %}

{#- The JSON value of the issue field whose id is the SQL expression `field_id` (e.g. a
    column holding 'customfield_10031'); null when the id is null or the field absent. -#}
{% macro jira_custom_field(record, field_id) -%}
    {{ return(adapter.dispatch('jira_custom_field', 'itops_kpi')(record, field_id)) }}
{%- endmacro %}

{% macro default__jira_custom_field(record, field_id) -%}
    json_extract({{ record }}, '$.fields."' || {{ field_id }} || '"')
{%- endmacro %}

{% macro postgres__jira_custom_field(record, field_id) -%}
    ({{ record }}::jsonb -> 'fields' -> ({{ field_id }}))
{%- endmacro %}

{#- One row per element of a JSON array (a set-returning expression for the select list;
    a null or empty array gives no rows). -#}
{% macro jira_json_elements(json_array) -%}
    {{ return(adapter.dispatch('jira_json_elements', 'itops_kpi')(json_array)) }}
{%- endmacro %}

{% macro default__jira_json_elements(json_array) -%}
    unnest(from_json({{ json_array }}, '["json"]'))
{%- endmacro %}

{% macro postgres__jira_json_elements(json_array) -%}
    jsonb_array_elements(({{ json_array }})::jsonb)
{%- endmacro %}

{#- Text of `key` in the first element of the array at `array_path` (e.g. the first component's name). -#}
{% macro jira_first_element_text(column, array_path, key) -%}
    {{ return(adapter.dispatch('jira_first_element_text', 'itops_kpi')(column, array_path, key)) }}
{%- endmacro %}

{% macro default__jira_first_element_text(column, array_path, key) -%}
    json_extract_string({{ column }}, '{{ array_path }}[0].{{ key }}')
{%- endmacro %}

{% macro postgres__jira_first_element_text(column, array_path, key) -%}
    ({{ column }}::jsonb #>> '{{ "{" ~ array_path.replace("$.", "").replace(".", ",") ~ ",0," ~ key ~ "}" }}')
{%- endmacro %}

{#- The canonical status category of a Jira status, from its name (workflows name their
    statuses freely; these are the Jira Service Management defaults and common variants)
    and, for unknown names, its Jira status category key (new / indeterminate / done). -#}
{% macro jira_status_category(status_name, category_key='null') -%}
    case
        when lower({{ status_name }}) in ('waiting for customer', 'pending', 'on hold', 'waiting for vendor',
                                           'waiting for third party', 'waiting for support approval')
            then 'pending'
        when lower({{ status_name }}) in ('canceled', 'cancelled', 'declined', 'rejected', 'won''t do')
            then 'canceled'
        when lower({{ status_name }}) = 'closed' then 'closed'
        when lower({{ status_name }}) in ('resolved', 'done', 'completed') then 'resolved'
        when {{ category_key }} = 'done' then 'resolved'
        else 'open'
    end
{%- endmacro %}

{#- Jira priority names to 1 (highest) .. 5 (lowest); custom schemes fall back to the id of
    the default scheme (1..5), else null. -#}
{% macro jira_priority_rank(priority_name, priority_id) -%}
    case lower({{ priority_name }})
        when 'highest' then 1 when 'blocker' then 1 when 'critical' then 1
        when 'high' then 2 when 'major' then 2
        when 'medium' then 3
        when 'low' then 4 when 'minor' then 4
        when 'lowest' then 5 when 'trivial' then 5
        else case when {{ priority_id }} in ('1', '2', '3', '4', '5') then cast({{ priority_id }} as integer) end
    end
{%- endmacro %}

{#- The text of a scalar issue field whose id is the SQL expression `field_id` (a date, a string). -#}
{% macro jira_custom_field_text(record, field_id) -%}
    {{ return(adapter.dispatch('jira_custom_field_text', 'itops_kpi')(record, field_id)) }}
{%- endmacro %}

{% macro default__jira_custom_field_text(record, field_id) -%}
    json_extract_string({{ record }}, '$.fields."' || {{ field_id }} || '"')
{%- endmacro %}

{% macro postgres__jira_custom_field_text(record, field_id) -%}
    ({{ record }}::jsonb -> 'fields' ->> ({{ field_id }}))
{%- endmacro %}

{#- A scalar subquery: the fingerprint of the custom field ids the Jira staging models read
    (Team, Request Type, SLAs, satisfaction). Their incremental rows are all rebuilt when it
    changes (a field renamed or recreated in Jira: macros/incremental.sql). -#}
{% macro jira_custom_fields_hash() -%}
    (select {{ fingerprint(['team_field_id', 'request_type_field_id', 'first_response_sla_field_id',
                            'resolution_sla_field_id', 'satisfaction_field_id', 'satisfaction_date_field_id']) }}
     from {{ ref('stg_jira__custom_fields') }})
{%- endmacro %}

{#- An issue record without its changelog histories: the key, the fields and the changelog's
    total. The issue staging models read twenty-odd fields each; from the whole record every
    read parsed its changelog too (most of the record's 9 KB on the large org), from this one
    they parse the fields alone (a million issues stage 23% faster). -#}
{% macro jira_issue_without_histories(record) -%}
    {{ return(adapter.dispatch('jira_issue_without_histories', 'itops_kpi')(record)) }}
{%- endmacro %}

{% macro default__jira_issue_without_histories(record) -%}
    json_object('key', {{ record }}->'key', 'fields', {{ record }}->'fields',
                'changelog', json_object('total', {{ record }}->'changelog'->'total'))
{%- endmacro %}

{% macro postgres__jira_issue_without_histories(record) -%}
    {{ record }}
{%- endmacro %}

{#- Helpers for the `bi` schema (models/bi): friendly views that are published to a
    read-only copy of the warehouse (see pipelines/bi/publish.py). -#}

{#- A ref without the catalog (database) name. The published copy is a different file,
    opened by BI tools under any catalog alias; DuckDB binds the unqualified names of a
    view in the view's own catalog, so `marts.fct_tickets` keeps working there, where
    `"itops"."marts"."fct_tickets"` would not. -#}
{% macro bi_ref(model_name) -%}
    {{ ref(model_name).include(database=False) }}
{%- endmacro %}

{#- A readable name for a metric key, derived from the key itself so that new metrics
    get one without a code change: resolution_time_median_hours -> "Resolution time,
    median"; sla_resolution_compliance_pct -> "SLA resolution compliance %"; mtta_minutes
    -> "MTTA". Units are dropped (the unit column carries them), except percent. -#}
{% macro kpi_label(metric_expression) -%}
    {%- set acronyms = {'_mttr_': '_MTTR_', '_mtta_': '_MTTA_', '_mtbf_': '_MTBF_', '_sla_': '_SLA_',
                        '_csat_': '_CSAT_', '_nps_': '_NPS_', '_ktlo_': '_KTLO_'} -%}
    {%- set statistics = {'_mean_': ', mean_', '_median_': ', median_', '_p90_': ', p90_', '_avg_': ', average_'} -%}
    {%- set padded = "regexp_replace('_' || " ~ metric_expression ~ " || '_', '_(hours|minutes)_$', '_')" -%}
    {%- set expression = namespace(sql="replace(" ~ padded ~ ", '_pct_', '_%_')") -%}
    {%- for token, replacement in acronyms.items() -%}
        {%- set expression.sql = "replace(" ~ expression.sql ~ ", '" ~ token ~ "', '" ~ replacement ~ "')" -%}
    {%- endfor -%}
    {%- for token, replacement in statistics.items() -%}
        {%- set expression.sql = "replace(" ~ expression.sql ~ ", '" ~ token ~ "', '" ~ replacement ~ "')" -%}
    {%- endfor -%}
    {%- set spaced = "trim(replace(" ~ expression.sql ~ ", '_', ' '))" -%}
    upper(substr({{ spaced }}, 1, 1)) || substr({{ spaced }}, 2)
{%- endmacro %}

{#- Union per-source canonical models column by column, by name: a source model may
    order its columns freely, and a missing column is a compile error, not a silent shift. -#}
{% macro union_canonical(models, columns) -%}
    {%- for model in models %}
    select
        {%- for column in columns %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

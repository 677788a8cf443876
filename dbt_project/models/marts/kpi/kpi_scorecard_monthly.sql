{#- The monthly scorecard, wide: one row per (month, dimension, dimension_value) and, per
    metric key, its value and its status against the target. A view over kpi_metrics: no
    number of its own. -#}
{{ config(materialized='view') }}

with

monthly as (

    select * from {{ ref('kpi_metrics') }}
    where grain = 'month'

),

scorecard as (

    select
        period_start as month_start,
        dimension,
        dimension_value,
        {%- for metric in kpi_metric_keys() %}
        max(case when metric = '{{ metric }}' then value end) as {{ metric }},
        max(case when metric = '{{ metric }}' then status end) as {{ metric }}_status{{ "," if not loop.last }}
        {%- endfor %}
    from monthly
    group by 1, 2, 3

)

select * from scorecard

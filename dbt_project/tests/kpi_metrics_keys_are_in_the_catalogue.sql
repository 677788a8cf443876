{#- Every metric key in kpi_metrics is part of the documented catalogue (macros/kpi_catalogue.sql,
    docs/kpis.md): a new KPI cannot appear in the contract without being listed. -#}
select distinct metric
from {{ ref('kpi_metrics') }}
where metric not in (
    {%- for key in kpi_metric_keys() %}
    '{{ key }}'{{ "," if not loop.last }}
    {%- endfor %}
)

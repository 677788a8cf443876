{#- kpi_metrics for people: readable KPI, family and breakdown names, the period's end,
    and whether the period is complete. One row per (metric, grain, period_start,
    dimension, dimension_value), exactly as in kpi_metrics. -#}
{{ config(materialized='view', schema='bi', alias='kpi_values') }}

select * from {{ bi_ref('bi_kpi_values_stored') }}

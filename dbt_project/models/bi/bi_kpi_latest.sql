{#- The scorecard: each KPI in the last complete week and month (see bi.reporting_periods),
    for the organisation and every breakdown, beside the period before it. -#}
{{ config(materialized='view', schema='bi', alias='kpi_latest') }}

select * from {{ bi_ref('bi_kpi_latest_stored') }}

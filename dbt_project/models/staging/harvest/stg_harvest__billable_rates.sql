{#- One row per billable-rate period of a Harvest user (columns: macros/harvest.sql). -#}
{{ stg_harvest_rate_periods('billable_rates') }}

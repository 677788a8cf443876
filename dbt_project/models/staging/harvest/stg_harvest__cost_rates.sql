{#- One row per cost-rate period of a Harvest user (columns: macros/harvest.sql). -#}
{{ stg_harvest_rate_periods('cost_rates') }}

{#- KPI targets in force: the kpi_targets seed, overridden metric by metric by the kpi_targets
    spreadsheets (docs/spreadsheets.md). -#}
with

from_seed as (

    select
        metric,
        cast(target as {{ type_double() }}) as target,
        direction,
        cast(at_risk_tolerance_pct as {{ type_double() }}) as at_risk_tolerance_pct,
        description,
        'seed kpi_targets.csv' as defined_in
    from {{ ref('kpi_targets') }}

),

from_spreadsheets as (

    select
        metric,
        target,
        direction,
        at_risk_tolerance_pct,
        description,
        'spreadsheet ' || file_name as defined_in
    from {{ ref('stg_spreadsheets__kpi_targets') }}

),

combined as (

    select * from from_spreadsheets
    union all
    select * from from_seed
    where metric not in (select metric from from_spreadsheets)

)

select * from combined

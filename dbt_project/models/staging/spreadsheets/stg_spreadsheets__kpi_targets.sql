{#- One row per KPI whose target the spreadsheet sets (overriding the kpi_targets seed). -#}
with

source as (

    select * from {{ source('spreadsheets', 'kpi_targets') }}

),

renamed as (

    select
        ---------- provenance
        _file as file_name,
        _row as row_number,
        _loaded_at as loaded_at,

        ---------- strings
        metric,
        direction,
        description,

        ---------- numerics
        cast(target as {{ type_double() }}) as target,
        cast(at_risk_tolerance_pct as {{ type_double() }}) as at_risk_tolerance_pct

    from source

)

select * from renamed

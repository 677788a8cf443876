{#- One row per contract period of a person known only from the headcount spreadsheet. -#}
with

source as (

    select * from {{ source('spreadsheets', 'headcount') }}

),

renamed as (

    select
        ---------- provenance
        _file as file_name,
        _row as row_number,
        _loaded_at as loaded_at,

        ---------- ids
        {{ slug('team') }} as team_id,

        ---------- strings
        lower(trim(email)) as email,
        full_name,
        team as team_name,
        role,
        employment_type,
        coalesce(working_days, 'mon,tue,wed,thu,fri') as working_days,
        currency,

        ---------- numerics
        cast(hours_per_week as {{ type_double() }}) as hours_per_week,
        cast(cost_per_hour as {{ type_double() }}) as cost_per_hour,

        ---------- dates (end_date null: still running)
        start_date,
        end_date

    from source

)

select * from renamed

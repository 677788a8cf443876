{#- One row per team holiday or office closure (a partial day gives the minutes off). -#}
with

source as (

    select * from {{ source('spreadsheets', 'team_holidays') }}

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
        team as team_name,
        holiday_name,

        ---------- numerics: minutes off (null: the whole day)
        cast(hours_off * 60 as integer) as minutes_off,

        ---------- dates
        holiday_date

    from source

)

select * from renamed

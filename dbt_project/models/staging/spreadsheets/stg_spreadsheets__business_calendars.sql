{#- One row per working window of a team's weekday, in the team's local time. -#}
with

source as (

    select * from {{ source('spreadsheets', 'business_calendars') }}

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
        timezone,
        weekday,

        ---------- numerics: ISO weekday (1 = Monday) and minutes after local midnight
        case weekday when 'mon' then 1 when 'tue' then 2 when 'wed' then 3 when 'thu' then 4
                     when 'fri' then 5 when 'sat' then 6 else 7 end as iso_day_of_week,
        cast(substr(start_time, 1, 2) as integer) * 60 + cast(substr(start_time, 4, 2) as integer) as start_minute,
        cast(substr(end_time, 1, 2) as integer) * 60 + cast(substr(end_time, 4, 2) as integer) as end_minute

    from source

)

select * from renamed

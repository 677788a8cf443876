{#- The business_calendars spreadsheets in the shape int_business_calendars overrides with:
    (team_id, timezone, weekday 1-7, start_time, end_time as HH:MM). -#}
with

windows as (

    select * from {{ ref('stg_spreadsheets__business_calendars') }}

),

shaped as (

    select
        team_id,
        timezone,
        iso_day_of_week as weekday,
        {{ minute_of_day_to_hhmm('start_minute') }} as start_time,
        {{ minute_of_day_to_hhmm('end_minute') }} as end_time
    from windows

)

select * from shaped

{#- Working hours of every calendar: one row per (calendar, weekday, working interval), in
    the calendar's own time zone (blank = the reporting time zone).

    Seed `business_hours` ships a `default` calendar (Monday-Friday 09:00-17:00), `24x7`,
    and the demo organisation's office calendars. Organisations override per team with a
    spreadsheet: each model in `overrides` has (team_id, timezone, weekday 1-7,
    start_time, end_time) and becomes calendar 'team:<team_id>', which int_team_calendars
    then prefers over the seed's mapping for that team.

    end_time <= start_time means the interval runs past midnight (22:00-06:00 ends at 06:00
    the next day); 24:00 is the end of the day. -#}
{%- set overrides = ['int_business_hours__spreadsheets'] %}

with

seeded as (

    select
        calendar_id,
        nullif(trim(timezone), '') as timezone,
        cast(weekday as integer) as weekday,
        cast(start_time as varchar) as start_time,
        cast(end_time as varchar) as end_time,
        'seed' as origin
    from {{ ref('business_hours') }}

),

{%- for model in overrides %}

override_{{ loop.index }} as (

    select
        'team:' || team_id as calendar_id,
        nullif(trim(timezone), '') as timezone,
        cast(weekday as integer) as weekday,
        cast(start_time as varchar) as start_time,
        cast(end_time as varchar) as end_time,
        'spreadsheet' as origin
    from {{ ref(model) }}
    where team_id is not null

),
{%- endfor %}

unioned as (

    select * from seeded
    {%- for model in overrides %}
    union all
    select * from override_{{ loop.index }}
    {%- endfor %}

),

parsed as (

    select
        calendar_id,
        coalesce(timezone, '{{ var("reporting_timezone") }}') as timezone,
        weekday,
        {{ minute_of_day('start_time') }} as start_minute,
        {{ minute_of_day('end_time') }} as raw_end_minute,
        origin
    from unioned
    where weekday between 1 and 7

),

calendars as (

    select
        calendar_id,
        timezone,
        weekday,
        start_minute,
        case when raw_end_minute <= start_minute then raw_end_minute + 1440 else raw_end_minute end as end_minute,
        origin
    from parsed

)

select * from calendars

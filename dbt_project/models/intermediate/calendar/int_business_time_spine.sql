{#- Every working interval of every team's calendar in UTC, with the business seconds
    worked before it on that calendar: the table behind the business clock
    (macros/business_time.sql).

    Built day by day in each calendar's local time, then converted to UTC, so a DST change
    moves 09:00 local from 08:00 UTC to 09:00 UTC on the right day and a 22:00-06:00 shift
    that spans the change is an hour shorter or longer, as it is on the wall clock.
    Holidays cancel the working intervals that start on them (a night shift belongs to the
    day it starts). Overlapping or touching intervals merge, so a 24x7 calendar is one
    interval and B(t) never counts a second twice.

    Range: vars business_calendar_start / business_calendar_end (default 2015-2034, like
    dim_date). Instants before the range have B = 0; durations after it stop growing.
    Size: about 260 rows per team per year (one per working day), whatever the ticket volume. -#}
{%- set range_start = var('business_calendar_start', '2015-01-01') %}
{%- set range_end = var('business_calendar_end', '2035-01-01') %}

with

days as (

    {#- calendar_spine, not dbt.date_spine: the latter queries the warehouse while compiling -#}
    {{ calendar_spine(range_start, range_end) }}

),

local_days as (

    select
        cast(date_day as date) as date_day,
        cast(extract(isodow from date_day) as integer) as weekday
    from days

),

teams as (

    select * from {{ ref('int_team_calendars') }}

),

hours as (

    select * from {{ ref('int_business_calendars') }}

),

holidays as (

    select * from {{ ref('int_business_holidays') }}

),

shifts as (

    select
        teams.team_id as calendar_key,
        hours.timezone,
        {{ dbt.dateadd('minute', 'hours.start_minute', 'cast(local_days.date_day as timestamp)') }} as local_start,
        {{ dbt.dateadd('minute', 'hours.end_minute', 'cast(local_days.date_day as timestamp)') }} as local_end
    from teams
    inner join hours
        on hours.calendar_id = teams.calendar_id
    inner join local_days
        on local_days.weekday = hours.weekday
    where not exists (
        select 1
        from holidays
        where holidays.holiday_date = local_days.date_day
            and (holidays.holiday_calendar_id = teams.holiday_calendar_id
                 or holidays.holiday_calendar_id = 'team:' || teams.team_id)
    )

),

in_utc as (

    select
        calendar_key,
        {{ local_to_utc('local_start', 'timezone') }} as start_at,
        {{ local_to_utc('local_end', 'timezone') }} as end_at
    from shifts

),

ordered as (

    select
        calendar_key,
        start_at,
        end_at,
        max(end_at) over (
            partition by calendar_key order by start_at, end_at
            rows between unbounded preceding and 1 preceding
        ) as previous_end_at
    from in_utc
    where end_at > start_at

),

islands as (

    select
        calendar_key,
        start_at,
        end_at,
        sum(case when previous_end_at >= start_at then 0 else 1 end) over (
            partition by calendar_key order by start_at, end_at
            rows between unbounded preceding and current row
        ) as island
    from ordered

),

merged as (

    select
        calendar_key,
        min(start_at) as interval_start_at,
        max(end_at) as interval_end_at
    from islands
    group by calendar_key, island

),

spine as (

    select
        calendar_key,
        interval_start_at,
        interval_end_at,
        cast({{ seconds_between("interval_start_at", "interval_end_at") }} as bigint) as interval_seconds,
        cast(coalesce(sum({{ seconds_between("interval_start_at", "interval_end_at") }}) over (
            partition by calendar_key order by interval_start_at
            rows between unbounded preceding and 1 preceding
        ), 0) as bigint) as business_seconds_before
    from merged

)

select * from spine

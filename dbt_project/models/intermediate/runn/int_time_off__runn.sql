{#- Minutes off per person, day and kind of time off (leave, rostered_off, holiday), from Runn.

    A time off counts on the days its person's contract rosters (a leave block over a weekend
    takes nothing off the weekend); a full-day time off (minutesPerDay null) takes the day's
    rostered minutes, a partial one its minutes, capped at the rostered minutes. Bookings of
    the same kind on the same day (a duplicate, overlapping blocks) add up to the cap, never
    beyond. Across kinds (a public holiday inside a leave block) the consumer caps the sum
    at rostered_minutes: effective capacity = rostered - least(rostered, sum(minutes_off)). -#}
with

time_offs as (

    select * from {{ ref('stg_runn__time_offs') }}
    where not is_deleted

),

contracts as (

    select * from {{ ref('int_contracts__runn') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

days_off as materialized (

    select
        time_offs.person_id as runn_person_id,
        time_offs.time_off_type,
        time_offs.minutes_per_day,
        calendar.date_day,
        calendar.iso_day_of_week
    from time_offs
    inner join calendar
        on calendar.date_day >= time_offs.start_date
        and calendar.date_day <= time_offs.end_date

),

rostered as (

    select
        days_off.*,
        contracts.person_id,
        contracts.team_id,
        case days_off.iso_day_of_week
            when 1 then contracts.monday_minutes
            when 2 then contracts.tuesday_minutes
            when 3 then contracts.wednesday_minutes
            when 4 then contracts.thursday_minutes
            when 5 then contracts.friday_minutes
            when 6 then contracts.saturday_minutes
            else contracts.sunday_minutes
        end as rostered_minutes
    from days_off
    inner join contracts
        on contracts.source_person_id = days_off.runn_person_id
        and days_off.date_day >= contracts.start_date
        and (contracts.end_date is null or days_off.date_day <= contracts.end_date)

),

per_day as (

    select
        runn_person_id,
        max(person_id) as person_id,
        max(team_id) as team_id,
        date_day,
        time_off_type,
        max(rostered_minutes) as rostered_minutes,
        least(sum(coalesce(minutes_per_day, rostered_minutes)), max(rostered_minutes)) as minutes_off,
        count(*) as bookings
    from rostered
    where rostered_minutes > 0
    group by runn_person_id, date_day, time_off_type

),

final as (

    select
        per_day.*,
        per_day.minutes_off >= per_day.rostered_minutes as is_full_day
    from per_day

)

select * from final

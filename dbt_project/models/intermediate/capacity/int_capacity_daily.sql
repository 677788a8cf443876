{#- Capacity per person and day, the Runn way: contracted hours, the time off taken out of them,
    and the effective capacity left (contracted - time off, never below 0).

    Days covered: from the first day any time tracker has an entry to `capacity_forecast_weeks`
    weeks after the time data's as-of date (int_time_as_of), so the same rows serve the
    utilization KPIs (days up to the as-of date) and the capacity forecast (days after it).

    The contract in force on a day, one per person and day:
      1. a Runn contract (Runn plans people; its contracts carry rostered minutes per weekday);
      2. else a headcount-spreadsheet row (weekly hours over the listed working days);
      3. else, for a Harvest user, Harvest's weekly capacity over Monday-Friday between the
         user's creation and deactivation (Harvest has no dated contracts).
    A later contract start wins over an earlier one of the same source.

    Time off, each kind capped by what is left of the day so that nothing is counted twice
    (a leave day on a public holiday is a holiday, not leave):
      holiday      - for a Runn contract, Runn's holidays (the person's holiday group); for any
                     other contract, the team's holiday calendar (int_business_holidays via
                     int_team_calendars) as a full day;
      rostered_off - Runn rostered-off days;
      leave        - Runn leave.
    Runn's own minutes for a time off (partial days) are kept; full days take the contracted
    hours of the day. -#}
{#- A view: its only reader is fct_capacity_daily, which stores the same rows; storing them twice
    cost a rewrite of every person-day of history each night. -#}
{{ config(materialized='view') }}
{%- set forecast_days = var('capacity_forecast_weeks') * 7 %}

with

people as (

    select * from {{ ref('int_people_resolved') }}

),

contracts as (

    select * from {{ ref('int_contracts_unioned') }}
    where person_id is not null

),

harvest_users as (

    select * from {{ ref('stg_harvest__users') }}
    where not is_deleted

),

time_off as (

    select * from {{ ref('int_time_off__runn') }}
    where person_id is not null

),

team_calendars as (

    select * from {{ ref('int_team_calendars') }}

),

holidays as (

    select * from {{ ref('int_business_holidays') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

bounds as (

    select first_date as first_day, as_of_date from {{ ref('int_time_as_of') }}

),

days as (

    select
        calendar.date_day,
        calendar.iso_day_of_week,
        calendar.is_weekday,
        bounds.as_of_date
    from calendar
    cross join bounds
    where calendar.date_day >= bounds.first_day
        and calendar.date_day <= bounds.as_of_date + {{ forecast_days }}

),

contract_days as (

    select
        contracts.person_id,
        days.date_day,
        contracts.source as contract_source,
        contracts.contract_key,
        contracts.job_title,
        contracts.cost_per_hour,
        case days.iso_day_of_week
            when 1 then contracts.monday_minutes
            when 2 then contracts.tuesday_minutes
            when 3 then contracts.wednesday_minutes
            when 4 then contracts.thursday_minutes
            when 5 then contracts.friday_minutes
            when 6 then contracts.saturday_minutes
            else contracts.sunday_minutes
        end / 60.0 as contracted_hours,
        case contracts.source when 'runn' then 1 else 2 end as source_rank,
        contracts.start_date
    from contracts
    inner join days
        on days.date_day >= contracts.start_date
        and (contracts.end_date is null or days.date_day <= contracts.end_date)

),

harvest_days as (

    select
        people.person_id,
        days.date_day,
        'harvest' as contract_source,
        'harvest:' || harvest_users.user_id as contract_key,
        cast(null as varchar) as job_title,
        harvest_users.cost_rate as cost_per_hour,
        case when days.is_weekday then harvest_users.weekly_capacity_hours / 5.0 else 0 end as contracted_hours,
        3 as source_rank,
        cast(harvest_users.created_at as date) as start_date
    from harvest_users
    inner join people
        on people.harvest_user_id = harvest_users.user_id
    inner join days
        on days.date_day >= cast(harvest_users.created_at as date)
        and (harvest_users.is_active or days.date_day <= cast(harvest_users.updated_at as date))

),

ranked as (

    select
        candidates.*,
        row_number() over (
            partition by candidates.person_id, candidates.date_day
            order by candidates.source_rank, candidates.start_date desc, candidates.contract_key
        ) as contract_rank
    from (
        select * from contract_days
        union all
        select * from harvest_days
    ) as candidates

),

in_force as (

    select * from ranked
    where contract_rank = 1

),

runn_off as (

    select
        person_id,
        date_day,
        sum(case when time_off_type = 'holiday' then minutes_off else 0 end) / 60.0 as holiday_hours,
        sum(case when time_off_type = 'rostered_off' then minutes_off else 0 end) / 60.0 as rostered_off_hours,
        sum(case when time_off_type = 'leave' then minutes_off else 0 end) / 60.0 as leave_hours
    from time_off
    group by person_id, date_day

),

calendar_holidays as (

    select distinct
        people.person_id,
        holidays.holiday_date as date_day
    from people
    inner join team_calendars
        on team_calendars.team_id = people.team_id
    inner join holidays
        on holidays.holiday_calendar_id = team_calendars.holiday_calendar_id
        or holidays.holiday_calendar_id = 'team:' || people.team_id

),

with_time_off as (

    select
        in_force.person_id,
        people.team_id,
        in_force.date_day,
        in_force.date_day > days.as_of_date as is_future,
        in_force.contract_source,
        in_force.contract_key,
        in_force.job_title as role_name,
        in_force.cost_per_hour,
        in_force.contracted_hours,
        case
            when in_force.contract_source = 'runn' then coalesce(runn_off.holiday_hours, 0)
            when calendar_holidays.person_id is not null then in_force.contracted_hours
            else 0
        end as holiday_booked_hours,
        coalesce(runn_off.rostered_off_hours, 0) as rostered_off_booked_hours,
        coalesce(runn_off.leave_hours, 0) as leave_booked_hours
    from in_force
    inner join days
        on days.date_day = in_force.date_day
    left join people
        on people.person_id = in_force.person_id
    left join runn_off
        on runn_off.person_id = in_force.person_id
        and runn_off.date_day = in_force.date_day
    left join calendar_holidays
        on calendar_holidays.person_id = in_force.person_id
        and calendar_holidays.date_day = in_force.date_day

),

capped as (

    select
        *,
        least(holiday_booked_hours, contracted_hours) as holiday_hours
    from with_time_off

),

capped_rostered as (

    select
        *,
        least(rostered_off_booked_hours, contracted_hours - holiday_hours) as rostered_off_hours
    from capped

),

final as (

    select
        person_id,
        team_id,
        date_day,
        is_future,
        contract_source,
        contract_key,
        role_name,
        cost_per_hour,
        contracted_hours,
        least(leave_booked_hours, contracted_hours - holiday_hours - rostered_off_hours) as leave_hours,
        holiday_hours,
        rostered_off_hours
    from capped_rostered

)

select
    final.*,
    final.leave_hours + final.holiday_hours + final.rostered_off_hours as time_off_hours,
    greatest(final.contracted_hours - final.leave_hours - final.holiday_hours - final.rostered_off_hours, 0)
        as effective_hours
from final

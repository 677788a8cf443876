{#- Contracted capacity per person and working day, up to the last day with logged time
    (the data's "as of" date):
    - people with a Harvest account: Harvest's weekly capacity spread over Monday-Friday,
      between the user's creation and deactivation;
    - everyone else with a Runn contract (the people whose time is Runn actuals, see
      int_time_entries__runn): the minutes their contract rosters on each weekday, from the
      first day with Runn actuals. -#}
with

people as (

    select * from {{ ref('int_people_resolved') }}

),

harvest_users as (

    select * from {{ ref('stg_harvest__users') }}
    where not is_deleted

),

time_entries as (

    select * from {{ ref('stg_harvest__time_entries') }}
    where not is_deleted

),

calendar as (

    select * from {{ ref('dim_date') }}

),

as_of as (

    select max(spent_date) as as_of_date from time_entries

),

runn_contracts as (

    select * from {{ ref('int_contracts__runn') }}

),

runn_as_of as (

    select min(actual_date) as first_date, max(actual_date) as as_of_date from {{ ref('stg_runn__actuals') }}
    where not is_deleted

),

harvest_capacity as (

    select
        people.person_id,
        people.team_id,
        calendar.date_day,
        harvest_users.weekly_capacity_hours / 5.0 as contracted_hours
    from harvest_users
    inner join people
        on people.harvest_user_id = harvest_users.user_id
    cross join as_of
    inner join calendar
        on calendar.date_day >= cast(harvest_users.created_at as date)
        and calendar.date_day <= as_of.as_of_date
        and (harvest_users.is_active or calendar.date_day <= cast(harvest_users.updated_at as date))
    where calendar.is_weekday

),

runn_capacity as (

    select
        runn_contracts.person_id,
        people.team_id,
        calendar.date_day,
        case calendar.iso_day_of_week
            when 1 then runn_contracts.monday_minutes
            when 2 then runn_contracts.tuesday_minutes
            when 3 then runn_contracts.wednesday_minutes
            when 4 then runn_contracts.thursday_minutes
            when 5 then runn_contracts.friday_minutes
            when 6 then runn_contracts.saturday_minutes
            else runn_contracts.sunday_minutes
        end / 60.0 as contracted_hours
    from runn_contracts
    inner join people
        on people.person_id = runn_contracts.person_id
    cross join runn_as_of
    inner join calendar
        on calendar.date_day >= runn_contracts.start_date
        and (runn_contracts.end_date is null or calendar.date_day <= runn_contracts.end_date)
        and calendar.date_day >= runn_as_of.first_date
        and calendar.date_day <= runn_as_of.as_of_date
    where people.harvest_user_id is null

),

capacity as (

    select * from harvest_capacity
    union all
    select * from runn_capacity
    where contracted_hours > 0

)

select * from capacity

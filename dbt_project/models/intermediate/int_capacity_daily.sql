{#- Contracted capacity per person and working day, from Harvest's weekly capacity
    spread over Monday-Friday, between the user's creation and deactivation, up to
    the last day with logged time (the data's "as of" date). -#}
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

capacity as (

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

)

select * from capacity

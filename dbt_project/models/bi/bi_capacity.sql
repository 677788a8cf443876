{{ config(materialized='view', schema='bi', alias='capacity') }}

with

capacity as (

    select * from {{ bi_ref('fct_capacity_daily') }}

),

people as (

    select * from {{ bi_ref('dim_people') }}

),

teams as (

    select * from {{ bi_ref('dim_teams') }}

),

friendly as (

    select
        capacity.date_day,
        capacity.week_start,
        {{ period_start('month', 'capacity.date_day') }} as month_start,
        capacity.is_future,
        capacity.person_id,
        people.full_name as person_name,
        capacity.team_id,
        teams.team_name,
        capacity.role_name,
        capacity.contracted_hours,
        capacity.time_off_hours,
        capacity.effective_hours,
        capacity.scheduled_confirmed_hours,
        capacity.scheduled_tentative_hours,
        capacity.actual_hours,
        capacity.billable_hours,
        capacity.hours_total,
        capacity.hours_total_billable
    from capacity
    left join people
        on people.person_id = capacity.person_id
    left join teams
        on teams.team_id = capacity.team_id

)

select * from friendly

{{ config(materialized='view', schema='bi', alias='people') }}

with

people as (

    select * from {{ bi_ref('dim_people') }}

),

teams as (

    select * from {{ bi_ref('dim_teams') }}

),

friendly as (

    select
        people.person_id,
        people.full_name,
        people.email,
        people.team_id,
        teams.team_name,
        people.is_active
    from people
    left join teams
        on teams.team_id = people.team_id

)

select * from friendly

{{ config(materialized='view', schema='bi', alias='teams') }}

with

teams as (

    select * from {{ bi_ref('dim_teams') }}

),

friendly as (

    select
        team_id,
        team_name
    from teams

)

select * from friendly

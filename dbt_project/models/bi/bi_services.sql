{{ config(materialized='view', schema='bi', alias='services') }}

with

services as (

    select * from {{ bi_ref('dim_services') }}

),

teams as (

    select * from {{ bi_ref('dim_teams') }}

),

friendly as (

    select
        services.service_id,
        services.service_name,
        services.criticality,
        services.team_id as support_team_id,
        teams.team_name as support_team_name
    from services
    left join teams
        on teams.team_id = services.team_id

)

select * from friendly

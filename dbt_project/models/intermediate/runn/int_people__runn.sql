{#- Runn people in the canonical people shape. Runn knows everyone the organisation plans, with
    their team: int_people_resolved prefers Runn's team over every other source's. -#}
with

runn_people as (

    select * from {{ ref('stg_runn__people') }}
    where not is_deleted

),

runn_teams as (

    select * from {{ ref('stg_runn__teams') }}
    where not is_deleted

),

canonical as (

    select
        'runn' as source,
        runn_people.person_id as source_user_id,
        runn_people.email,
        runn_people.full_name,
        {{ slug('runn_teams.team_name') }} as team_id,
        runn_teams.team_name,
        not runn_people.is_archived as is_active
    from runn_people
    left join runn_teams
        on runn_teams.team_id = runn_people.team_id

)

select * from canonical

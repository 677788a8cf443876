{#- Runn teams in the canonical team shape: Runn's own id is numeric, so the team key is the
    slug of the name, as for every other source. -#}
with

teams as (

    select * from {{ ref('stg_runn__teams') }}
    where not is_deleted

),

canonical as (

    select
        {{ slug('team_name') }} as team_id,
        'runn' as source,
        team_id as source_team_id,
        team_name,
        true as is_active
    from teams

)

select * from canonical

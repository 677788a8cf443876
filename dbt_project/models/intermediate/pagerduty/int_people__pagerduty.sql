{#- PagerDuty users in the canonical people shape. PagerDuty deletes users instead of
    deactivating them, so every user still listed is active; deleted ones are excluded. -#}
with

users as (

    select * from {{ ref('stg_pagerduty__users') }}
    where not is_deleted

),

teams as (

    select * from {{ ref('stg_pagerduty__teams') }}

),

canonical as (

    select
        'pagerduty' as source,
        users.user_id as source_user_id,
        users.email,
        users.full_name,
        teams.team_id,
        teams.team_name,
        true as is_active
    from users
    left join teams
        on teams.pagerduty_team_id = users.pagerduty_team_id
    where users.email is not null

)

select * from canonical

{#- Zendesk agents and admins (IT staff; end users are requesters, not people we
    measure) in the canonical people shape; the team is the agent's default group. -#}
with

users as (

    select * from {{ ref('stg_zendesk__users') }}
    where is_staff and not is_deleted and email is not null

),

groups as (

    select * from {{ ref('stg_zendesk__groups') }}

),

canonical as (

    select
        'zendesk' as source,
        users.user_id as source_user_id,
        users.email,
        users.full_name,
        groups.team_id,
        groups.group_name as team_name,
        users.is_active and not users.is_suspended as is_active
    from users
    left join groups
        on groups.group_id = users.default_group_id

)

select * from canonical

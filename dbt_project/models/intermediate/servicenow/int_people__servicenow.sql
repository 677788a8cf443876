{#- ServiceNow IT staff (users who belong to an assignment group) in the canonical people shape. -#}
with

users as (

    select * from {{ ref('stg_servicenow__users') }}
    where not is_deleted

),

memberships as (

    select * from {{ ref('stg_servicenow__group_members') }}
    where not is_deleted

),

groups as (

    select * from {{ ref('stg_servicenow__groups') }}
    where not is_deleted

),

staff as (

    select
        users.user_id,
        users.email,
        users.full_name,
        users.is_active,
        groups.team_id,
        groups.group_name as team_name,
        row_number() over (
            partition by users.user_id
            order by memberships.created_at, groups.team_id
        ) as membership_rank
    from users
    inner join memberships
        on memberships.user_id = users.user_id
    inner join groups
        on groups.group_id = memberships.group_id
    where users.email is not null

),

canonical as (

    select
        'servicenow' as source,
        user_id as source_user_id,
        email,
        full_name,
        team_id,
        team_name,
        is_active
    from staff
    where membership_rank = 1

)

select * from canonical

{#- One row per human across sources, keyed on the normalised e-mail address. -#}
with

servicenow_users as (

    select * from {{ ref('stg_servicenow__users') }}
    where not is_deleted

),

servicenow_memberships as (

    select * from {{ ref('stg_servicenow__group_members') }}
    where not is_deleted

),

servicenow_groups as (

    select * from {{ ref('stg_servicenow__groups') }}
    where not is_deleted

),

harvest_users as (

    select * from {{ ref('stg_harvest__users') }}
    where not is_deleted

),

servicenow_staff as (

    -- IT staff are the users who belong to an assignment group; the others only raise tickets.
    select
        servicenow_users.user_id,
        servicenow_users.email,
        servicenow_users.full_name,
        servicenow_users.is_active,
        servicenow_groups.team_id,
        row_number() over (
            partition by servicenow_users.user_id
            order by servicenow_memberships.created_at, servicenow_groups.team_id
        ) as membership_rank
    from servicenow_users
    inner join servicenow_memberships
        on servicenow_memberships.user_id = servicenow_users.user_id
    inner join servicenow_groups
        on servicenow_groups.group_id = servicenow_memberships.group_id
    where servicenow_users.email is not null

),

identities as (

    select
        email,
        full_name,
        user_id as servicenow_user_id,
        cast(null as varchar) as harvest_user_id,
        team_id,
        is_active
    from servicenow_staff
    where membership_rank = 1

    union all

    select
        email,
        full_name,
        cast(null as varchar) as servicenow_user_id,
        user_id as harvest_user_id,
        cast(null as varchar) as team_id,
        is_active
    from harvest_users
    where email is not null

),

resolved as (

    select
        {{ person_key('email') }} as person_id,
        email,
        max(full_name) as full_name,
        max(servicenow_user_id) as servicenow_user_id,
        max(harvest_user_id) as harvest_user_id,
        max(team_id) as team_id,
        bool_or(is_active) as is_active
    from identities
    group by 1, 2

)

select * from resolved

with

servicenow_groups as (

    select * from {{ ref('stg_servicenow__groups') }}
    where not is_deleted

),

teams as (

    select
        team_id,
        max(group_name) as team_name,
        max(group_id) as servicenow_group_id
    from servicenow_groups
    group by 1

)

select * from teams

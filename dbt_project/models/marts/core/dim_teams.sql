with

servicenow_groups as (

    select * from {{ ref('stg_servicenow__groups') }}
    where not is_deleted

),

pagerduty_teams as (

    select * from {{ ref('stg_pagerduty__teams') }}
    where not is_deleted

),

named as (

    select
        team_id,
        group_name as team_name,
        group_id as servicenow_group_id,
        cast(null as varchar) as pagerduty_team_id
    from servicenow_groups

    union all

    select
        team_id,
        team_name,
        cast(null as varchar) as servicenow_group_id,
        pagerduty_team_id
    from pagerduty_teams

),

teams as (

    select
        team_id,
        max(team_name) as team_name,
        max(servicenow_group_id) as servicenow_group_id,
        max(pagerduty_team_id) as pagerduty_team_id
    from named
    group by 1

)

select * from teams

{#- One row per team across sources, keyed on the slug of its name: ServiceNow assignment
    groups, PagerDuty teams, Runn teams, and the teams people are resolved to (e.g. from the
    headcount spreadsheets). -#}
with

servicenow_groups as (

    select * from {{ ref('stg_servicenow__groups') }}
    where not is_deleted

),

pagerduty_teams as (

    select * from {{ ref('stg_pagerduty__teams') }}
    where not is_deleted

),

runn_teams as (

    select * from {{ ref('stg_runn__teams') }}
    where not is_deleted

),

people as (

    select * from {{ ref('int_people_resolved') }}

),

named as (

    select
        team_id,
        group_name as team_name,
        group_id as servicenow_group_id,
        cast(null as varchar) as pagerduty_team_id,
        cast(null as varchar) as runn_team_id
    from servicenow_groups

    union all

    select
        team_id,
        team_name,
        cast(null as varchar) as servicenow_group_id,
        pagerduty_team_id,
        cast(null as varchar) as runn_team_id
    from pagerduty_teams

    union all

    select
        {{ slug('team_name') }} as team_id,
        team_name,
        cast(null as varchar) as servicenow_group_id,
        cast(null as varchar) as pagerduty_team_id,
        team_id as runn_team_id
    from runn_teams

    union all

    select
        team_id,
        team_name,
        cast(null as varchar) as servicenow_group_id,
        cast(null as varchar) as pagerduty_team_id,
        cast(null as varchar) as runn_team_id
    from people
    where team_id is not null

),

teams as (

    select
        team_id,
        max(team_name) as team_name,
        max(servicenow_group_id) as servicenow_group_id,
        max(pagerduty_team_id) as pagerduty_team_id,
        max(runn_team_id) as runn_team_id
    from named
    group by 1

)

select * from teams

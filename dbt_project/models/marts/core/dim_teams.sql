{#- One row per team across sources, keyed on the slug of the team's name: every team a
    source lists or a fact mentions, with the calendar its business hours follow. -#}
with

calendars as (

    select * from {{ ref('int_team_calendars') }}
    where team_id <> '*'

),

source_teams as (

    select
        team_id,
        max(team_name) as team_name,
        max(case when source = 'servicenow' then source_team_id end) as servicenow_group_id,
        max(case when source = 'pagerduty' then source_team_id end) as pagerduty_team_id,
        max(case when source = 'runn' then source_team_id end) as runn_team_id,
        max(case when source = 'zendesk' then source_team_id end) as zendesk_group_id,
        count(distinct source) as source_count,
        {{ dbt.listagg('distinct source', "', '", "order by source") }} as sources
    from {{ ref('int_teams_unioned') }}
    group by 1

),

teams as (

    select
        calendars.team_id,
        coalesce(source_teams.team_name, calendars.team_id) as team_name,
        source_teams.servicenow_group_id,
        source_teams.pagerduty_team_id,
        source_teams.runn_team_id,
        source_teams.zendesk_group_id,
        coalesce(source_teams.sources, '') as sources,
        calendars.calendar_id,
        calendars.holiday_calendar_id,
        calendars.timezone,
        calendars.calendar_origin
    from calendars
    left join source_teams
        on source_teams.team_id = calendars.team_id

)

select * from teams

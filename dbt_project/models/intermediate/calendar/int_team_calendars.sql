{#- Which calendar every team works to: its spreadsheet calendar ('team:<team_id>') when the
    organisation gave one, else the `team_calendars` seed's mapping, else `default`. The
    row with team_id '*' is the calendar of tickets without a team.

    Teams are every team any source or fact mentions, so a ticket's team always has a
    business clock (int_business_time_spine). -#}
with

referenced as (

    select team_id from {{ ref('int_teams_unioned') }}
    union
    select team_id from {{ ref('int_tickets_unioned') }}
    union
    select team_id from {{ ref('int_ticket_status_changes_unioned') }}
    union
    select team_id from {{ ref('int_incidents_unioned') }}
    union
    select team_id from {{ ref('int_changes_unioned') }}
    union
    select team_id from {{ ref('int_services_unioned') }}
    union
    select team_id from {{ ref('int_people_resolved') }}
    union
    select team_id from {{ ref('int_time_entries_unioned') }}

),

calendars as (

    select distinct calendar_id, timezone, origin from {{ ref('int_business_calendars') }}

),

spreadsheet_teams as (

    select distinct substr(calendar_id, 6) as team_id, calendar_id
    from calendars
    where origin = 'spreadsheet'

),

teams as (

    select team_id from referenced where team_id is not null
    union
    select team_id from spreadsheet_teams
    union
    select '*'

),

seeded as (

    select team_id, calendar_id, nullif(trim(holiday_calendar_id), '') as holiday_calendar_id
    from {{ ref('team_calendars') }}

),

resolved as (

    select
        teams.team_id,
        coalesce(spreadsheet_teams.calendar_id, seeded.calendar_id, 'default') as calendar_id,
        seeded.holiday_calendar_id,
        case
            when spreadsheet_teams.calendar_id is not null then 'spreadsheet'
            when seeded.calendar_id is not null then 'seed'
            else 'default'
        end as calendar_origin
    from teams
    left join spreadsheet_teams
        on spreadsheet_teams.team_id = teams.team_id
    left join seeded
        on seeded.team_id = teams.team_id

),

with_zone as (

    select
        resolved.team_id,
        resolved.calendar_id,
        resolved.holiday_calendar_id,
        resolved.calendar_origin,
        calendars.timezone
    from resolved
    left join (select calendar_id, min(timezone) as timezone from calendars group by 1) as calendars
        on calendars.calendar_id = resolved.calendar_id

)

select * from with_zone

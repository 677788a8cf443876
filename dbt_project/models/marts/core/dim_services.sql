with

servicenow_services as (

    select * from {{ ref('stg_servicenow__services') }}
    where not is_deleted

),

servicenow_groups as (

    select * from {{ ref('stg_servicenow__groups') }}

),

pagerduty_services as (

    select * from {{ ref('stg_pagerduty__services') }}
    where not is_deleted

),

pagerduty_teams as (

    select * from {{ ref('stg_pagerduty__teams') }}

),

named as (

    select
        servicenow_services.service_id,
        servicenow_services.service_name,
        servicenow_groups.team_id,
        servicenow_services.criticality
    from servicenow_services
    left join servicenow_groups
        on servicenow_groups.group_id = servicenow_services.support_group_id

    union all

    select
        pagerduty_services.service_id,
        pagerduty_services.service_name,
        pagerduty_teams.team_id,
        cast(null as integer) as criticality
    from pagerduty_services
    left join pagerduty_teams
        on pagerduty_teams.pagerduty_team_id = pagerduty_services.pagerduty_team_id

),

services as (

    select
        service_id,
        max(service_name) as service_name,
        max(team_id) as team_id,
        min(criticality) as criticality
    from named
    group by 1

)

select * from services

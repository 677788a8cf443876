{#- PagerDuty services in the canonical service shape; the supporting team is the service's
    first team. PagerDuty has no criticality of its own. -#}
with

services as (

    select * from {{ ref('stg_pagerduty__services') }}
    where not is_deleted

),

teams as (

    select * from {{ ref('stg_pagerduty__teams') }}

),

canonical as (

    select
        services.service_id,
        'pagerduty' as source,
        services.pagerduty_service_id as source_service_id,
        services.service_name,
        teams.team_id,
        cast(null as integer) as criticality
    from services
    left join teams
        on teams.pagerduty_team_id = services.pagerduty_team_id

)

select * from canonical

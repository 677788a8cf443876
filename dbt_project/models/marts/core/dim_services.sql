with

servicenow_services as (

    select * from {{ ref('stg_servicenow__services') }}
    where not is_deleted

),

servicenow_groups as (

    select * from {{ ref('stg_servicenow__groups') }}

),

services as (

    select
        servicenow_services.service_id,
        max(servicenow_services.service_name) as service_name,
        max(servicenow_groups.team_id) as team_id,
        min(servicenow_services.criticality) as criticality
    from servicenow_services
    left join servicenow_groups
        on servicenow_groups.group_id = servicenow_services.support_group_id
    group by 1

)

select * from services

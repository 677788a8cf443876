{#- ServiceNow business services in the canonical service shape. -#}
with

services as (

    select * from {{ ref('stg_servicenow__services') }}
    where not is_deleted

),

groups as (

    select * from {{ ref('stg_servicenow__groups') }}

),

canonical as (

    select
        services.service_id,
        'servicenow' as source,
        services.business_service_id as source_service_id,
        services.service_name,
        groups.team_id,
        services.criticality
    from services
    left join groups
        on groups.group_id = services.support_group_id

)

select * from canonical

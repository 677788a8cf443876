{#- One row per business service across sources (keyed on the slug of its name): every
    service a source lists or a fact mentions. -#}
with

source_services as (

    select
        service_id,
        max(service_name) as service_name,
        max(team_id) as team_id,
        min(criticality) as criticality,
        max(case when source = 'servicenow' then source_service_id end) as servicenow_service_id,
        max(case when source = 'pagerduty' then source_service_id end) as pagerduty_service_id,
        {{ dbt.listagg('distinct source', "', '", "order by source") }} as sources
    from {{ ref('int_services_unioned') }}
    group by 1

),

referenced as (

    select service_id from {{ ref('int_tickets_unioned') }}
    union
    select service_id from {{ ref('int_incidents_unioned') }}
    union
    select service_id from {{ ref('int_changes_unioned') }}

),

services as (

    select
        source_services.service_id,
        source_services.service_name,
        source_services.team_id,
        source_services.criticality,
        source_services.servicenow_service_id,
        source_services.pagerduty_service_id,
        source_services.sources
    from source_services

    union all

    select
        referenced.service_id,
        referenced.service_id,
        cast(null as varchar),
        cast(null as integer),
        cast(null as varchar),
        cast(null as varchar),
        ''
    from referenced
    where referenced.service_id is not null
        and referenced.service_id not in (select service_id from source_services)

)

select * from services

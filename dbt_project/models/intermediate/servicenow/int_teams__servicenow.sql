{#- ServiceNow assignment groups in the canonical team shape. -#}
with

groups as (

    select * from {{ ref('stg_servicenow__groups') }}
    where not is_deleted

),

canonical as (

    select
        team_id,
        'servicenow' as source,
        group_id as source_team_id,
        group_name as team_name,
        is_active
    from groups

)

select * from canonical

{#- The sla_targets spreadsheets in the shape int_sla_targets overrides with: (team_id, '*'
    for every team without its own; metric, priority, target_minutes, in_business_hours). -#}
with

targets as (

    select * from {{ ref('stg_spreadsheets__sla_targets') }}

),

shaped as (

    select
        coalesce(nullif(team_id, ''), '*') as team_id,
        metric,
        priority,
        target_minutes,
        is_business_hours as in_business_hours
    from targets

)

select * from shaped

{#- PagerDuty teams in the canonical team shape. -#}
with

teams as (

    select * from {{ ref('stg_pagerduty__teams') }}
    where not is_deleted

),

canonical as (

    select
        team_id,
        'pagerduty' as source,
        pagerduty_team_id as source_team_id,
        team_name,
        true as is_active
    from teams

)

select * from canonical

{#- JSM SLA cycles in the canonical SLA shape: one row per cycle of the "Time to first
    response" (metric response) and "Time to resolution" (metric resolution) fields, as JSM
    computed them.

    target_minutes  the cycle's goal (SLA-calendar time)
    is_breached     JSM's verdict for completed cycles; null while a cycle runs
    paused_minutes  completed cycles: wall-clock duration minus JSM's elapsed time, i.e. the
                    minutes the SLA clock did not run (pauses, e.g. waiting for customer, and
                    on a business-hours calendar also non-working time); null while running
    in_business_hours  null: the SLA field does not say which calendar its goal uses -#}
with

slas as (

    select * from {{ ref('stg_jira__slas') }}

),

issues as (

    select * from {{ ref('stg_jira__issues') }}
    where not is_deleted

),

canonical as (

    select
        'jira:' || slas.issue_id || ':' || slas.metric || ':' || cast(slas.cycle_number as varchar) as sla_key,
        'jira' as source,
        'jira:' || slas.issue_id as ticket_key,
        slas.sla_name,
        slas.metric,
        slas.goal_ms / 60000.0 as target_minutes,
        slas.started_at,
        slas.breach_at,
        slas.stopped_at,
        case when slas.cycle_state = 'completed' then slas.is_breached end as is_breached,
        slas.is_paused,
        case when slas.cycle_state = 'completed' then greatest(
            ({{ dbt.datediff('slas.started_at', 'slas.stopped_at', 'millisecond') }} - slas.elapsed_ms) / 60000.0, 0)
        end as paused_minutes,
        cast(null as boolean) as in_business_hours
    from slas
    inner join issues
        on issues.issue_id = slas.issue_id

)

select * from canonical

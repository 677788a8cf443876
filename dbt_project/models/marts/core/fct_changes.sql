{#- One row per change request from every source. A change is completed when it is closed
    with an outcome (successful, successful_issues, unsuccessful); canceled changes and
    open ones are not. Of completed changes:
      is_successful  outcome successful and no incident caused (a clean success);
      is_failed      DORA's change failure: unsuccessful, or it caused an incident.
    A change implemented with issues but no incident is neither. -#}
with

changes as (

    select * from {{ ref('int_changes_unioned') }}

),

measured as (

    select
        change_key,
        source,
        source_id,
        number,
        service_id,
        team_id,
        change_type,
        risk,
        outcome,
        created_at,
        planned_start_at,
        planned_end_at,
        work_start_at,
        work_end_at,
        closed_at,
        caused_incident,
        closed_at is not null and outcome in ('successful', 'successful_issues', 'unsuccessful') as is_completed,
        case
            when closed_at is not null and outcome in ('successful', 'successful_issues', 'unsuccessful')
                then outcome = 'successful' and not coalesce(caused_incident, false)
        end as is_successful,
        case
            when closed_at is not null and outcome in ('successful', 'successful_issues', 'unsuccessful')
                then outcome = 'unsuccessful' or coalesce(caused_incident, false)
        end as is_failed,
        {{ minutes_between('work_start_at', 'work_end_at') }} as implementation_minutes,
        work_end_at > planned_end_at as is_overrun,
        updated_at
    from changes

)

select * from measured

{#- Scheduled minutes per assignment and day, from Runn: the planned side of capacity.

    An assignment schedules its minutesPerDay on each working day of its range, as Runn counts
    it: for a person, a day their contract rosters and that is not entirely off (a public
    holiday, a full day of leave or a rostered day off; a partial day off keeps the schedule),
    plus any day when the assignment is flagged isNonWorkingDay; for a placeholder (no contract),
    Monday to Friday. Placeholders and tentative (unconfirmed) projects are flagged, not
    dropped: Runn counts placeholders only for future periods and leaves tentative projects out
    by default, and the consumer decides. -#}
with

assignments as (

    select * from {{ ref('stg_runn__assignments') }}
    where not is_deleted and is_active and not is_template

),

projects as (

    select * from {{ ref('stg_runn__projects') }}
    where not is_deleted

),

roles as (

    select * from {{ ref('stg_runn__roles') }}

),

contracts as (

    select * from {{ ref('int_contracts__runn') }}

),

days_off as (

    select
        runn_person_id,
        date_day,
        sum(minutes_off) as minutes_off,
        max(rostered_minutes) as rostered_minutes
    from {{ ref('int_time_off__runn') }}
    group by runn_person_id, date_day

),

placeholders as (

    select * from {{ ref('stg_runn__placeholders') }}

),

runn_teams as (

    select * from {{ ref('stg_runn__teams') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

assignment_days as (

    select
        assignments.*,
        calendar.date_day,
        calendar.iso_day_of_week
    from assignments
    inner join calendar
        on calendar.date_day >= assignments.start_date
        and calendar.date_day <= assignments.end_date

),

person_days as (

    select
        assignment_days.assignment_id,
        assignment_days.date_day,
        contracts.person_id,
        contracts.team_id
    from assignment_days
    inner join contracts
        on contracts.source_person_id = assignment_days.person_id
        and assignment_days.date_day >= contracts.start_date
        and (contracts.end_date is null or assignment_days.date_day <= contracts.end_date)
    left join days_off
        on days_off.runn_person_id = assignment_days.person_id
        and days_off.date_day = assignment_days.date_day
    where not assignment_days.is_placeholder
        and (
            assignment_days.is_non_working_day
            or (
                case assignment_days.iso_day_of_week
                    when 1 then contracts.monday_minutes
                    when 2 then contracts.tuesday_minutes
                    when 3 then contracts.wednesday_minutes
                    when 4 then contracts.thursday_minutes
                    when 5 then contracts.friday_minutes
                    when 6 then contracts.saturday_minutes
                    else contracts.sunday_minutes
                end > 0
                and coalesce(days_off.minutes_off, 0) < coalesce(days_off.rostered_minutes, 1)
            )
        )

),

placeholder_days as (

    select
        assignment_days.assignment_id,
        assignment_days.date_day,
        cast(null as varchar) as person_id,
        {{ slug('runn_teams.team_name') }} as team_id
    from assignment_days
    left join placeholders
        on placeholders.placeholder_id = assignment_days.placeholder_id
    left join runn_teams
        on runn_teams.team_id = placeholders.team_id
    where assignment_days.is_placeholder
        and assignment_days.iso_day_of_week <= 5

),

working_days as (

    select * from person_days
    union all
    select * from placeholder_days

),

final as (

    select
        'runn:' || assignments.assignment_id as assignment_key,
        'runn' as source,
        assignments.assignment_id as source_id,
        working_days.person_id,
        assignments.person_id as runn_person_id,
        assignments.placeholder_id as runn_placeholder_id,
        working_days.team_id,
        {{ slug('projects.project_name') }} as project_id,
        assignments.project_id as source_project_id,
        roles.role_name,
        working_days.date_day,
        assignments.minutes_per_day as scheduled_minutes,
        assignments.is_billable,
        assignments.is_placeholder,
        not coalesce(projects.is_confirmed, true) as is_tentative,
        assignments.updated_at
    from working_days
    inner join assignments
        on assignments.assignment_id = working_days.assignment_id
    left join projects
        on projects.project_id = assignments.project_id
    left join roles
        on roles.role_id = assignments.role_id

)

select * from final

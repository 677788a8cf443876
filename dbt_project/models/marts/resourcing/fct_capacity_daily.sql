{#- Person x day: capacity (int_capacity_daily), Runn's scheduled work and the time actually
    logged, side by side, for everyone with a contract or a Harvest capacity.

    hours_total follows Runn ("actuals else scheduled"): on a day with any logged time it is
    the logged time, otherwise the confirmed scheduled time (placeholders have no person and
    are not here; tentative projects are kept apart as scheduled_tentative_hours and never
    count). Logged time on a day without capacity (a weekend, after a contract ended) keeps
    its row, with zero capacity: it is overtime, not lost. -#}
with

capacity as (

    select * from {{ ref('int_capacity_daily') }}

),

people as (

    select * from {{ ref('int_people_resolved') }}

),

bounds as (

    select min(date_day) as first_day, max(date_day) as last_day from capacity

),

staff as (

    select
        person_id,
        max(date_day) as last_capacity_day
    from capacity
    group by person_id

),

latest_role as (

    select capacity.person_id, capacity.role_name
    from capacity
    inner join staff
        on staff.person_id = capacity.person_id
        and staff.last_capacity_day = capacity.date_day

),

logged as (

    select
        time_entries.person_id,
        time_entries.entry_date as date_day,
        sum(time_entries.hours) as actual_hours,
        sum(time_entries.billable_hours) as billable_hours
    from {{ ref('int_time_entries_unioned') }} as time_entries
    inner join staff
        on staff.person_id = time_entries.person_id
    group by time_entries.person_id, time_entries.entry_date

),

scheduled as (

    select
        assignments.person_id,
        assignments.date_day,
        sum(case when not assignments.is_tentative then assignments.scheduled_minutes else 0 end) / 60.0
            as scheduled_confirmed_hours,
        sum(case when assignments.is_tentative then assignments.scheduled_minutes else 0 end) / 60.0
            as scheduled_tentative_hours,
        sum(case when not assignments.is_tentative and assignments.is_billable then assignments.scheduled_minutes
                 else 0 end) / 60.0 as scheduled_billable_hours
    from {{ ref('int_assignments__runn') }} as assignments
    inner join staff
        on staff.person_id = assignments.person_id
    where not assignments.is_placeholder
    group by assignments.person_id, assignments.date_day

),

person_days as (

    select person_id, date_day from capacity
    union
    select person_id, date_day from logged
    union
    select person_id, date_day from scheduled

),

joined as (

    select
        person_days.person_id,
        coalesce(capacity.team_id, people.team_id) as team_id,
        coalesce(capacity.role_name, latest_role.role_name) as role_name,
        person_days.date_day,
        capacity.contract_source,
        capacity.cost_per_hour,
        coalesce(capacity.contracted_hours, 0) as contracted_hours,
        coalesce(capacity.leave_hours, 0) as leave_hours,
        coalesce(capacity.holiday_hours, 0) as holiday_hours,
        coalesce(capacity.rostered_off_hours, 0) as rostered_off_hours,
        coalesce(capacity.time_off_hours, 0) as time_off_hours,
        coalesce(capacity.effective_hours, 0) as effective_hours,
        coalesce(scheduled.scheduled_confirmed_hours, 0) as scheduled_confirmed_hours,
        coalesce(scheduled.scheduled_tentative_hours, 0) as scheduled_tentative_hours,
        coalesce(scheduled.scheduled_billable_hours, 0) as scheduled_billable_hours,
        coalesce(logged.actual_hours, 0) as actual_hours,
        coalesce(logged.billable_hours, 0) as billable_hours,
        logged.person_id is not null as has_actuals
    from person_days
    cross join bounds
    left join capacity
        on capacity.person_id = person_days.person_id
        and capacity.date_day = person_days.date_day
    left join logged
        on logged.person_id = person_days.person_id
        and logged.date_day = person_days.date_day
    left join scheduled
        on scheduled.person_id = person_days.person_id
        and scheduled.date_day = person_days.date_day
    left join people
        on people.person_id = person_days.person_id
    left join latest_role
        on latest_role.person_id = person_days.person_id
    where person_days.date_day >= bounds.first_day
        and person_days.date_day <= bounds.last_day

),

as_of as (

    select as_of_date from {{ ref('int_time_as_of') }}

),

final as (

    select
        joined.person_id,
        joined.team_id,
        joined.role_name,
        joined.date_day,
        {{ period_start('week', 'joined.date_day') }} as week_start,
        joined.date_day > as_of.as_of_date as is_future,
        joined.contract_source,
        joined.cost_per_hour,
        joined.contracted_hours,
        joined.leave_hours,
        joined.holiday_hours,
        joined.rostered_off_hours,
        joined.time_off_hours,
        joined.effective_hours,
        joined.scheduled_confirmed_hours,
        joined.scheduled_tentative_hours,
        joined.scheduled_billable_hours,
        joined.actual_hours,
        joined.billable_hours,
        joined.has_actuals,
        case when joined.has_actuals then joined.actual_hours else joined.scheduled_confirmed_hours end
            as hours_total,
        case when joined.has_actuals then joined.billable_hours else joined.scheduled_billable_hours end
            as hours_total_billable
    from joined
    cross join as_of

)

select * from final

{#- Person x day: capacity and logged hours side by side (a day can have either alone). -#}
with

capacity as (

    select * from {{ ref('int_capacity_daily') }}

),

time_entries as (

    select * from {{ ref('int_time_entries_unioned') }}

),

logged as (

    select
        person_id,
        entry_date as date_day,
        sum(hours) as logged_hours,
        sum(billable_hours) as billable_hours
    from time_entries
    where person_id is not null
    group by 1, 2

),

joined as (

    select
        coalesce(capacity.person_id, logged.person_id) as person_id,
        coalesce(capacity.date_day, logged.date_day) as date_day,
        coalesce(capacity.contracted_hours, 0) as capacity_hours,
        coalesce(logged.logged_hours, 0) as logged_hours,
        coalesce(logged.billable_hours, 0) as billable_hours
    from capacity
    full outer join logged
        on logged.person_id = capacity.person_id
        and logged.date_day = capacity.date_day

),

with_team as (

    select
        joined.*,
        people.team_id
    from joined
    left join {{ ref('int_people_resolved') }} as people
        on people.person_id = joined.person_id

)

select * from with_team

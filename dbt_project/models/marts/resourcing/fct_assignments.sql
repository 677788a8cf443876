{#- Scheduled work from Runn, one row per assignment and working day (int_assignments__runn
    decides the working days the way Runn does), with its cost: the hours at the cost per hour of
    the person's contract in force that day (int_contracts_unioned, Runn before spreadsheets,
    the later start first), else their Harvest cost rate, else - and for a placeholder, which
    has no person and no contract - its role's default hour cost, as Runn costs placeholders.
    Placeholders and tentative projects are flagged, not dropped. -#}
with

assignments as (

    select * from {{ ref('int_assignments__runn') }}

),

contract_rates as (

    select
        assignments.assignment_key,
        assignments.date_day,
        contracts.cost_per_hour,
        row_number() over (
            partition by assignments.assignment_key, assignments.date_day
            order by case contracts.source when 'runn' then 1 else 2 end, contracts.start_date desc
        ) as contract_rank
    from assignments
    inner join {{ ref('int_contracts_unioned') }} as contracts
        on contracts.person_id = assignments.person_id
        and assignments.date_day >= contracts.start_date
        and (contracts.end_date is null or assignments.date_day <= contracts.end_date)
    where contracts.cost_per_hour is not null

),

harvest_rates as (

    select people.person_id, max(users.cost_rate) as cost_rate
    from {{ ref('stg_harvest__users') }} as users
    inner join {{ ref('int_people_resolved') }} as people
        on people.harvest_user_id = users.user_id
    where not users.is_deleted
    group by people.person_id

),

roles as (

    select role_name, max(default_hour_cost) as default_hour_cost
    from {{ ref('stg_runn__roles') }}
    where not is_deleted
    group by role_name

),

as_of as (

    select as_of_date from {{ ref('int_time_as_of') }}

),

final as (

    select
        assignments.assignment_key,
        assignments.source,
        assignments.source_id,
        assignments.date_day,
        assignments.person_id,
        assignments.runn_person_id,
        assignments.runn_placeholder_id,
        assignments.team_id,
        assignments.project_id,
        assignments.role_name,
        assignments.scheduled_minutes / 60.0 as scheduled_hours,
        coalesce(contract_rates.cost_per_hour, harvest_rates.cost_rate, roles.default_hour_cost) as cost_per_hour,
        assignments.scheduled_minutes / 60.0 * coalesce(contract_rates.cost_per_hour, harvest_rates.cost_rate, roles.default_hour_cost)
            as scheduled_cost,
        assignments.is_billable,
        assignments.is_placeholder,
        assignments.is_tentative,
        assignments.date_day > as_of.as_of_date as is_future,
        assignments.updated_at
    from assignments
    cross join as_of
    left join contract_rates
        on contract_rates.assignment_key = assignments.assignment_key
        and contract_rates.date_day = assignments.date_day
        and contract_rates.contract_rank = 1
    left join harvest_rates
        on harvest_rates.person_id = assignments.person_id
    left join roles
        on roles.role_name = assignments.role_name

)

select * from final

{#- Runn actuals in the canonical time-entry shape (minutes -> hours).

    No double counting with Harvest: Runn can import Harvest timesheets as actuals, so for a
    person who has a Harvest account (a harvest_user_id in int_people_resolved) Harvest is the
    time tracker and their Runn actuals are left out; Runn actuals count for everyone else.
    Deleted actuals (activity log) and empty ones (Runn fills 0 h between logged days) are
    excluded. The cost is the hours at the cost per hour of the contract in force that day. -#}
with

actuals as (

    select * from {{ ref('stg_runn__actuals') }}
    where not is_deleted and total_minutes > 0

),

projects as (

    select * from {{ ref('stg_runn__projects') }}

),

roles as (

    select * from {{ ref('stg_runn__roles') }}

),

runn_accounts as (

    select source_user_id, person_id from {{ ref('int_identity_map') }}
    where source = 'runn'

),

people as (

    select * from {{ ref('int_people_resolved') }}

),

contracts as (

    select * from {{ ref('int_contracts__runn') }}

),

costed as (

    select
        actuals.actual_id,
        contracts.cost_per_hour,
        row_number() over (partition by actuals.actual_id order by contracts.start_date desc) as contract_rank
    from actuals
    inner join contracts
        on contracts.source_person_id = actuals.person_id
        and actuals.actual_date >= contracts.start_date
        and (contracts.end_date is null or actuals.actual_date <= contracts.end_date)

),

runn as (

    select
        'runn:' || actuals.actual_id as time_entry_key,
        'runn' as source,
        actuals.actual_id as source_id,
        people.person_id,
        people.team_id,
        {{ slug('projects.project_name') }} as project_id,
        actuals.actual_date as entry_date,
        roles.role_name as task_name,
        actuals.total_minutes / 60.0 as hours,
        actuals.billable_minutes / 60.0 as billable_hours,
        actuals.total_minutes / 60.0 * costed.cost_per_hour as cost_amount,
        actuals.billable_minutes > 0 as is_billable,
        actuals.updated_at
    from actuals
    left join runn_accounts
        on runn_accounts.source_user_id = actuals.person_id
    left join people
        on people.person_id = runn_accounts.person_id
    left join projects
        on projects.project_id = actuals.project_id
    left join roles
        on roles.role_id = actuals.role_id
    left join costed
        on costed.actual_id = actuals.actual_id
        and costed.contract_rank = 1
    where people.harvest_user_id is null

)

select * from runn

{#- Harvest time entries in the canonical time-entry shape consumed by int_time_entries_unioned. -#}
with

harvest_entries as (

    select * from {{ ref('stg_harvest__time_entries') }}
    where not is_deleted

),

harvest_projects as (

    select * from {{ ref('stg_harvest__projects') }}

),

harvest_accounts as (

    select source_user_id, person_id from {{ ref('int_identity_map') }}
    where source = 'harvest'

),

people as (

    select * from {{ ref('int_people_resolved') }}

),

harvest as (

    select
        'harvest:' || harvest_entries.time_entry_id as time_entry_key,
        'harvest' as source,
        harvest_entries.time_entry_id as source_id,
        people.person_id,
        people.team_id,
        {{ slug('harvest_projects.project_name') }} as project_id,
        harvest_entries.spent_date as entry_date,
        harvest_entries.task_name,
        harvest_entries.hours,
        case when harvest_entries.is_billable then harvest_entries.hours else 0 end as billable_hours,
        harvest_entries.hours * harvest_entries.cost_rate as cost_amount,
        harvest_entries.is_billable,
        harvest_entries.updated_at
    from harvest_entries
    left join harvest_accounts
        on harvest_accounts.source_user_id = harvest_entries.user_id
    left join people
        on people.person_id = harvest_accounts.person_id
    left join harvest_projects
        on harvest_projects.project_id = harvest_entries.project_id

)

select * from harvest

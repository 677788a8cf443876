{#- Runn contracts in the canonical contract shape (shared with int_contracts__spreadsheets):
    who is contracted for how many minutes on each weekday, at what cost, over which dates. -#}
with

contracts as (

    select * from {{ ref('stg_runn__contracts') }}
    where not is_deleted

),

runn_accounts as (

    select source_user_id, person_id from {{ ref('int_identity_map') }}
    where source = 'runn'

),

people as (

    select * from {{ ref('int_people_resolved') }}

),

canonical as (

    select
        'runn:' || contracts.contract_id as contract_key,
        'runn' as source,
        contracts.contract_id as source_id,
        contracts.person_id as source_person_id,
        people.person_id,
        people.team_id,
        contracts.start_date,
        contracts.end_date,
        contracts.employment_type,
        contracts.job_title,
        contracts.cost_per_hour,
        contracts.minutes_per_day,
        contracts.monday_minutes,
        contracts.tuesday_minutes,
        contracts.wednesday_minutes,
        contracts.thursday_minutes,
        contracts.friday_minutes,
        contracts.saturday_minutes,
        contracts.sunday_minutes,
        contracts.monday_minutes + contracts.tuesday_minutes + contracts.wednesday_minutes
            + contracts.thursday_minutes + contracts.friday_minutes + contracts.saturday_minutes
            + contracts.sunday_minutes as weekly_minutes,
        contracts.updated_at
    from contracts
    left join runn_accounts
        on runn_accounts.source_user_id = contracts.person_id
    left join people
        on people.person_id = runn_accounts.person_id

)

select * from canonical

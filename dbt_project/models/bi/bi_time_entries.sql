{{ config(materialized='view', schema='bi', alias='time_entries') }}

with

time_entries as (

    select * from {{ bi_ref('fct_time_entries') }}

),

people as (

    select * from {{ bi_ref('dim_people') }}

),

teams as (

    select * from {{ bi_ref('dim_teams') }}

),

friendly as (

    select
        time_entries.time_entry_key,
        time_entries.source,
        time_entries.source_id,
        time_entries.entry_date,
        {{ period_start('week', 'time_entries.entry_date') }} as entry_week,
        {{ period_start('month', 'time_entries.entry_date') }} as entry_month,
        time_entries.person_id,
        people.full_name as person_name,
        time_entries.team_id,
        teams.team_name,
        time_entries.project_id,
        time_entries.task_name,
        time_entries.hours,
        time_entries.billable_hours,
        time_entries.is_billable,
        time_entries.cost_amount,
        time_entries.updated_at
    from time_entries
    left join people
        on people.person_id = time_entries.person_id
    left join teams
        on teams.team_id = time_entries.team_id

)

select * from friendly

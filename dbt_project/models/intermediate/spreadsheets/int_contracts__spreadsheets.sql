{#- Headcount spreadsheet rows in the canonical contract shape (shared with int_contracts__runn):
    the weekly hours spread evenly over the listed working days. -#}
with

headcount as (

    select
        *,
        hours_per_week * 60.0
            / (length(working_days) - length(replace(working_days, ',', '')) + 1) as minutes_per_working_day
    from {{ ref('stg_spreadsheets__headcount') }}

),

sheet_accounts as (

    select source_user_id, person_id from {{ ref('int_identity_map') }}
    where source = 'spreadsheets'

),

people as (

    select * from {{ ref('int_people_resolved') }}

),

canonical as (

    select
        'spreadsheets:' || headcount.file_name || ':' || cast(headcount.row_number as varchar) as contract_key,
        'spreadsheets' as source,
        headcount.file_name || ':' || cast(headcount.row_number as varchar) as source_id,
        headcount.email as source_person_id,
        people.person_id,
        people.team_id,
        headcount.start_date,
        headcount.end_date,
        headcount.employment_type,
        headcount.role as job_title,
        headcount.cost_per_hour,
        headcount.minutes_per_working_day as minutes_per_day,
        {%- for day in ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] %}
        case when headcount.working_days like '%{{ day }}%' then headcount.minutes_per_working_day else 0 end
            as {{ {'mon': 'monday', 'tue': 'tuesday', 'wed': 'wednesday', 'thu': 'thursday', 'fri': 'friday',
                  'sat': 'saturday', 'sun': 'sunday'}[day] }}_minutes,
        {%- endfor %}
        headcount.hours_per_week * 60.0 as weekly_minutes,
        headcount.loaded_at as updated_at
    from headcount
    left join sheet_accounts
        on sheet_accounts.source_user_id = headcount.email
    left join people
        on people.person_id = sheet_accounts.person_id

)

select * from canonical

{#- Contracted capacity from every source that has contracts: the union of the
    int_contracts__<source> models (minutes per weekday over a date range, cost per hour). -#}
{%- set sources = ['int_contracts__runn', 'int_contracts__spreadsheets'] %}
{%- set columns = ['contract_key', 'source', 'source_id', 'source_person_id', 'person_id', 'team_id', 'start_date',
                   'end_date', 'employment_type', 'job_title', 'cost_per_hour', 'minutes_per_day', 'monday_minutes',
                   'tuesday_minutes', 'wednesday_minutes', 'thursday_minutes', 'friday_minutes',
                   'saturday_minutes', 'sunday_minutes', 'weekly_minutes', 'updated_at'] %}

with

unioned as (

    {{ union_canonical(sources, columns) }}

)

select * from unioned

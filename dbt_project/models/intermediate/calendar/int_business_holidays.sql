{#- Public holidays and closures per holiday calendar (gb, us, ... from the `holidays` seed).

    Overrides from the spreadsheet: each model in `overrides` has (team_id, calendar,
    holiday_date, name). A row with a team_id is that team's own closure (holiday
    calendar 'team:<team_id>', added to the team's holiday calendar); a row with a
    calendar replaces the seed's list for that calendar wholesale (a spreadsheet that
    lists the 2027 UK holidays is the UK list, not an addition to it). -#}
{%- set overrides = ['int_business_holidays__spreadsheets'] %}

with

seeded as (

    select
        holiday_calendar_id,
        cast(holiday_date as date) as holiday_date,
        holiday_name,
        'seed' as origin
    from {{ ref('holidays') }}

),

{%- for model in overrides %}

override_{{ loop.index }} as (

    select
        coalesce('team:' || team_id, calendar) as holiday_calendar_id,
        cast(holiday_date as date) as holiday_date,
        name as holiday_name,
        'spreadsheet' as origin
    from {{ ref(model) }}
    where coalesce(team_id, calendar) is not null

),
{%- endfor %}

overridden as (

    select * from seeded
    where 1 = 1
    {%- for model in overrides %}
        and holiday_calendar_id not in (select holiday_calendar_id from override_{{ loop.index }})
    {%- endfor %}
    {%- for model in overrides %}
    union all
    select * from override_{{ loop.index }}
    {%- endfor %}

),

holidays as (

    select
        holiday_calendar_id,
        holiday_date,
        min(holiday_name) as holiday_name,
        min(origin) as origin
    from overridden
    group by 1, 2

)

select * from holidays

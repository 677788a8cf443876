{#- The team_holidays spreadsheets in the shape int_business_holidays overrides with:
    (team_id, calendar, holiday_date, name); every row is the team's own closure.

    The business clock knows whole days only: a partial day (hours_off) does not close the
    team's business hours, it is left to the capacity models that read the spreadsheet. -#}
with

holidays as (

    select * from {{ ref('stg_spreadsheets__team_holidays') }}
    where minutes_off is null

),

shaped as (

    select
        team_id,
        cast(null as varchar) as calendar,
        holiday_date,
        holiday_name as name
    from holidays

)

select * from shaped

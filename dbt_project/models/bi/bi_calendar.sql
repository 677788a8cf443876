{{ config(materialized='view', schema='bi', alias='calendar') }}

with

days as (

    select * from {{ bi_ref('dim_date') }}

),

friendly as (

    select
        date_day,
        week_start,
        month_start,
        quarter_start,
        year_start,
        iso_day_of_week,
        is_weekday
    from days

)

select * from friendly

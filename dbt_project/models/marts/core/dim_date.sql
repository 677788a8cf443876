{#- A fixed calendar (2015-2034): portable, tiny, and independent of the data. -#}
with

days as (

    {{ calendar_spine('2015-01-01', '2035-01-01') }}

),

calendar as (

    select
        cast(date_day as date) as date_day,
        {{ period_start('week', 'date_day') }} as week_start,
        {{ period_start('month', 'date_day') }} as month_start,
        {{ period_start('quarter', 'date_day') }} as quarter_start,
        {{ period_start('year', 'date_day') }} as year_start,
        extract(isodow from date_day) as iso_day_of_week,
        extract(isodow from date_day) <= 5 as is_weekday
    from days

)

select * from calendar

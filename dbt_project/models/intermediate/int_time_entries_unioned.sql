{#- Worked time from every time tracker, attributed to a person, team and project.
    Each source contributes one int_time_entries__<source> model with the same columns. -#}
with

harvest as (

    select * from {{ ref('int_time_entries__harvest') }}

),

unioned as (

    select * from harvest

)

select * from unioned

with

time_entries as (

    select * from {{ ref('int_time_entries_unioned') }}

)

select * from time_entries

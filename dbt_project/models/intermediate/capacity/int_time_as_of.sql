{#- The span the people and project figures describe, one row:
    - first_date: the first day any time tracker has an entry (capacity starts there: before it
      no hours could be compared with it);
    - as_of_date: the last day with logged time, but never after the warehouse's as-of date
      (int_as_of; a Harvest entry dated in the future does not move it). Days up to it are the
      past (utilization, actual cost); the days after it are the forecast, where only scheduled
      work exists. Without time entries both are the as-of date. -#}
with

entries as (

    select min(entry_date) as first_date, max(entry_date) as last_date
    from {{ ref('int_time_entries_unioned') }}

),

as_of as (

    select {{ local_date('as_of_at') }} as as_of_date from {{ ref('int_as_of') }}

),

final as (

    select
        coalesce(least(entries.first_date, as_of.as_of_date), as_of.as_of_date) as first_date,
        coalesce(least(entries.last_date, as_of.as_of_date), as_of.as_of_date) as as_of_date
    from entries
    cross join as_of

)

select * from final

{#- Every Runn time off in one shape: leave, rostered days off and public holidays (the three
    /time-offs/ lists). minutes_per_day null means the whole day. -#}
with

leave as (

    select 'leave' as time_off_type, * from {{ source('runn', 'time_offs_leave') }}

),

rostered_off as (

    select 'rostered_off' as time_off_type, * from {{ source('runn', 'time_offs_rostered_off') }}

),

holiday as (

    select 'holiday' as time_off_type, * from {{ source('runn', 'time_offs_holidays') }}

),

unioned as (

    select * from leave
    union all
    select * from rostered_off
    union all
    select * from holiday

),

renamed as (

    select
        ---------- ids
        id as time_off_id,
        {{ json_text('record', '$.personId') }} as person_id,
        {{ json_text('record', '$.holidayId') }} as holiday_id,

        ---------- strings
        time_off_type,
        {{ json_text('record', '$.note') }} as note,

        ---------- numerics: minutes off per day (null: the whole day)
        {{ safe_cast(json_text('record', '$.minutesPerDay'), 'bigint') }} as minutes_per_day,

        ---------- booleans
        _is_deleted as is_deleted,

        ---------- dates
        {{ safe_cast(json_text('record', '$.startDate'), 'date') }} as start_date,
        {{ safe_cast(json_text('record', '$.endDate'), 'date') }} as end_date,
        updated_at

    from unioned

)

select * from renamed

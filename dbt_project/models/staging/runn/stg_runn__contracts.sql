{#- One row per Runn contract: the capacity (minutes per rostered weekday) and cost of a person over a period. -#}
with

source as (

    select * from {{ source('runn', 'contracts') }}

),

renamed as (

    select
        ---------- ids
        id as contract_id,
        {{ json_text('record', '$.personId') }} as person_id,
        {{ json_text('record', '$.roleId') }} as role_id,

        ---------- strings
        {{ json_text('record', '$.employmentType') }} as employment_type,
        {{ json_text('record', '$.jobTitle') }} as job_title,

        ---------- numerics: minutes, and money per hour
        {{ safe_cast(json_text('record', '$.costPerHour'), type_double()) }} as cost_per_hour,
        {{ safe_cast(json_text('record', '$.minutesPerDay'), 'bigint') }} as minutes_per_day,
        coalesce({{ safe_cast(json_text('record', '$.rosteredDays.monday'), 'bigint') }}, 0) as monday_minutes,
        coalesce({{ safe_cast(json_text('record', '$.rosteredDays.tuesday'), 'bigint') }}, 0) as tuesday_minutes,
        coalesce({{ safe_cast(json_text('record', '$.rosteredDays.wednesday'), 'bigint') }}, 0) as wednesday_minutes,
        coalesce({{ safe_cast(json_text('record', '$.rosteredDays.thursday'), 'bigint') }}, 0) as thursday_minutes,
        coalesce({{ safe_cast(json_text('record', '$.rosteredDays.friday'), 'bigint') }}, 0) as friday_minutes,
        coalesce({{ safe_cast(json_text('record', '$.rosteredDays.saturday'), 'bigint') }}, 0) as saturday_minutes,
        coalesce({{ safe_cast(json_text('record', '$.rosteredDays.sunday'), 'bigint') }}, 0) as sunday_minutes,

        ---------- booleans
        _is_deleted as is_deleted,

        ---------- dates (end_date null: open-ended)
        {{ safe_cast(json_text('record', '$.startDate'), 'date') }} as start_date,
        {{ safe_cast(json_text('record', '$.endDate'), 'date') }} as end_date,
        {{ iso_timestamp(json_text('record', '$.createdAt')) }} as created_at,
        updated_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('harvest', 'users') }}

),

renamed as (

    select
        ---------- ids
        id as user_id,

        ---------- strings
        {{ json_text('record', '$.first_name') }} || ' ' || {{ json_text('record', '$.last_name') }} as full_name,
        lower(trim({{ json_text('record', '$.email') }})) as email,
        {{ json_text('record', '$.timezone') }} as timezone_name,

        ---------- numerics: Harvest sends weekly_capacity in seconds
        {{ safe_cast(json_text('record', '$.weekly_capacity'), 'bigint') }} / 3600.0 as weekly_capacity_hours,
        {{ safe_cast(json_text('record', '$.cost_rate'), type_double()) }} as cost_rate,
        {{ safe_cast(json_text('record', '$.default_hourly_rate'), type_double()) }} as default_hourly_rate,

        ---------- booleans
        {{ json_text('record', '$.is_active') }} = 'true' as is_active,
        {{ json_text('record', '$.is_contractor') }} = 'true' as is_contractor,
        _is_deleted as is_deleted,

        ---------- timestamps
        {{ iso_timestamp(json_text('record', '$.created_at')) }} as created_at,
        updated_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('harvest', 'tasks') }}

),

renamed as (

    select
        ---------- ids
        id as task_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as task_name,

        ---------- numerics
        {{ safe_cast(json_text('record', '$.default_hourly_rate'), type_double()) }} as default_hourly_rate,

        ---------- booleans
        {{ json_text('record', '$.billable_by_default') }} = 'true' as is_billable_by_default,
        {{ json_text('record', '$.is_active') }} = 'true' as is_active,
        _is_deleted as is_deleted,

        ---------- timestamps
        updated_at

    from source

)

select * from renamed

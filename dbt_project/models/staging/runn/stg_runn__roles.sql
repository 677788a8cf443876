with

source as (

    select * from {{ source('runn', 'roles') }}

),

renamed as (

    select
        ---------- ids
        id as role_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as role_name,

        ---------- numerics (money per hour)
        {{ safe_cast(json_text('record', '$.defaultHourCost'), type_double()) }} as default_hour_cost,
        {{ safe_cast(json_text('record', '$.standardRate'), type_double()) }} as standard_rate,

        ---------- booleans
        {{ json_text('record', '$.isArchived') }} = 'true' as is_archived,
        _is_deleted as is_deleted,

        ---------- timestamps
        updated_at

    from source

)

select * from renamed

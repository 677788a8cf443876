with

source as (

    select * from {{ source('runn', 'clients') }}

),

renamed as (

    select
        ---------- ids
        id as client_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as client_name,
        {{ json_text('record', '$.website') }} as website,

        ---------- booleans
        {{ json_text('record', '$.isArchived') }} = 'true' as is_archived,
        _is_deleted as is_deleted,

        ---------- timestamps
        updated_at

    from source

)

select * from renamed

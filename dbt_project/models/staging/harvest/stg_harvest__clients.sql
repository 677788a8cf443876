with

source as (

    select * from {{ source('harvest', 'clients') }}

),

renamed as (

    select
        ---------- ids
        id as client_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as client_name,
        {{ json_text('record', '$.currency') }} as currency,

        ---------- booleans
        {{ json_text('record', '$.is_active') }} = 'true' as is_active,
        _is_deleted as is_deleted,

        ---------- timestamps
        {{ iso_timestamp(json_text('record', '$.created_at')) }} as created_at,
        updated_at

    from source

)

select * from renamed

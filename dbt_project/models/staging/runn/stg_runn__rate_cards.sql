with

source as (

    select * from {{ source('runn', 'rate_cards') }}

),

renamed as (

    select
        ---------- ids
        id as rate_card_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as rate_card_name,
        {{ json_text('record', '$.rateType') }} as rate_type,

        ---------- numerics
        {{ safe_cast(json_text('record', '$.blendedRate'), type_double()) }} as blended_rate,

        ---------- booleans
        {{ json_text('record', '$.isBlendedRateCard') }} = 'true' as is_blended,
        {{ json_text('record', '$.isArchived') }} = 'true' as is_archived,
        _is_deleted as is_deleted,

        ---------- timestamps
        updated_at

    from source

)

select * from renamed

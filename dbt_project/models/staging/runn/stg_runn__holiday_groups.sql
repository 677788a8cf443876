with

source as (

    select * from {{ source('runn', 'holiday_groups') }}

),

renamed as (

    select
        ---------- ids
        id as holiday_group_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as holiday_group_name,
        {{ json_text('record', '$.countryCode') }} as country_code,
        {{ json_text('record', '$.countryName') }} as country_name,
        {{ json_text('record', '$.regionName') }} as region_name,

        ---------- booleans
        _is_deleted as is_deleted,

        ---------- timestamps
        updated_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('jira', 'fields') }}

),

renamed as (

    select
        id as field_id,
        {{ json_text('record', '$.name') }} as field_name,
        coalesce({{ json_text('record', '$.custom') }} = 'true', false) as is_custom,
        {{ json_text('record', '$.schema.type') }} as schema_type,
        {{ json_text('record', '$.schema.custom') }} as custom_type,
        _is_deleted as is_deleted

    from source

)

select * from renamed

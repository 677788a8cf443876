with

source as (

    select * from {{ source('runn', 'placeholders') }}

),

renamed as (

    select
        ---------- ids
        id as placeholder_id,
        {{ json_text('record', '$.roleId') }} as role_id,
        {{ json_text('record', '$.teamId') }} as team_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as placeholder_name,

        ---------- booleans
        {{ json_text('record', '$.isArchived') }} = 'true' as is_archived,
        _is_deleted as is_deleted,

        ---------- timestamps
        updated_at

    from source

)

select * from renamed

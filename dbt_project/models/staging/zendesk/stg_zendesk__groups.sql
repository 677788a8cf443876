{#- One row per Zendesk group; team_id is the cross-source team key. -#}
with

source as (

    select * from {{ source('zendesk', 'groups') }}

),

renamed as (

    select
        id as group_id,
        {{ json_text('record', '$.name') }} as group_name,
        {{ slug(json_text('record', '$.name')) }} as team_id,
        {{ json_text('record', '$.description') }} as description,
        _is_deleted or {{ json_text('record', '$.deleted') }} = 'true' as is_deleted,
        updated_at

    from source

)

select * from renamed

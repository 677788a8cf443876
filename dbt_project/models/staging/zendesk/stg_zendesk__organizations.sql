{#- One row per Zendesk organization (the requesters' business units). -#}
with

source as (

    select * from {{ source('zendesk', 'organizations') }}

),

renamed as (

    select
        id as organization_id,
        {{ json_text('record', '$.name') }} as organization_name,
        {{ json_text('record', '$.details') }} as details,
        _is_deleted as is_deleted,
        {{ iso_timestamp(json_text('record', '$.created_at')) }} as created_at,
        updated_at

    from source

)

select * from renamed

{#- One row per Zendesk user: agents and admins (IT staff) and end users (requesters). -#}
with

source as (

    select * from {{ source('zendesk', 'users') }}

),

renamed as (

    select
        ---------- ids
        id as user_id,
        {{ json_text('record', '$.default_group_id') }} as default_group_id,
        {{ json_text('record', '$.organization_id') }} as organization_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as full_name,
        lower(trim({{ json_text('record', '$.email') }})) as email,
        {{ json_text('record', '$.role') }} as role,
        {{ json_text('record', '$.iana_time_zone') }} as time_zone,

        ---------- booleans
        {{ json_text('record', '$.role') }} in ('agent', 'admin') as is_staff,
        {{ json_text('record', '$.active') }} = 'true' as is_active,
        {{ json_text('record', '$.suspended') }} = 'true' as is_suspended,
        _is_deleted as is_deleted,

        ---------- timestamps (UTC)
        {{ iso_timestamp(json_text('record', '$.created_at')) }} as created_at,
        updated_at

    from source

)

select * from renamed

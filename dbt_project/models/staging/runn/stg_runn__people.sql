{#- One row per person in Runn. The e-mail is normalised (lower-cased, trimmed): people type it. -#}
with

source as (

    select * from {{ source('runn', 'people') }}

),

renamed as (

    select
        ---------- ids
        id as person_id,
        {{ json_text('record', '$.teamId') }} as team_id,
        {{ json_text('record', '$.holidaysGroupId') }} as holiday_group_id,

        ---------- strings
        {{ json_text('record', '$.firstName') }} as first_name,
        {{ json_text('record', '$.lastName') }} as last_name,
        {{ json_text('record', '$.firstName') }} || ' ' || {{ json_text('record', '$.lastName') }} as full_name,
        nullif(lower(trim({{ json_text('record', '$.email') }})), '') as email,

        ---------- booleans
        {{ json_text('record', '$.isArchived') }} = 'true' as is_archived,
        _is_deleted as is_deleted,

        ---------- timestamps
        {{ iso_timestamp(json_text('record', '$.createdAt')) }} as created_at,
        updated_at

    from source

)

select * from renamed

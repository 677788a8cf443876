with

source as (

    select * from {{ source('jira', 'users') }}

),

renamed as (

    select
        id as account_id,
        {{ json_text('record', '$.accountType') }} as account_type,
        {{ json_text('record', '$.displayName') }} as display_name,
        -- absent when the person's profile visibility hides it
        nullif(lower(trim({{ json_text('record', '$.emailAddress') }})), '') as email,
        {{ json_text('record', '$.timeZone') }} as time_zone,
        coalesce({{ json_text('record', '$.active') }} = 'true', false) as is_active,
        _is_deleted as is_deleted

    from source

)

select * from renamed

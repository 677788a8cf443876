with

source as (

    select * from {{ source('harvest', 'user_assignments') }}

),

renamed as (

    select
        ---------- ids
        id as user_assignment_id,
        {{ json_text('record', '$.user.id') }} as user_id,
        {{ json_text('record', '$.project.id') }} as project_id,

        ---------- numerics (null: the user's default rate applies; budget in the project's budget unit)
        {{ safe_cast(json_text('record', '$.hourly_rate'), type_double()) }} as hourly_rate,
        {{ safe_cast(json_text('record', '$.budget'), type_double()) }} as budget,

        ---------- booleans
        {{ json_text('record', '$.is_project_manager') }} = 'true' as is_project_manager,
        {{ json_text('record', '$.use_default_rates') }} = 'true' as uses_default_rates,
        {{ json_text('record', '$.is_active') }} = 'true' as is_active,
        _is_deleted as is_deleted,

        ---------- timestamps
        {{ iso_timestamp(json_text('record', '$.created_at')) }} as created_at,
        updated_at

    from source

)

select * from renamed

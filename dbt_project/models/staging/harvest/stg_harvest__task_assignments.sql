with

source as (

    select * from {{ source('harvest', 'task_assignments') }}

),

renamed as (

    select
        ---------- ids
        id as task_assignment_id,
        {{ json_text('record', '$.project.id') }} as project_id,
        {{ json_text('record', '$.task.id') }} as task_id,

        ---------- strings
        {{ json_text('record', '$.task.name') }} as task_name,

        ---------- numerics
        {{ safe_cast(json_text('record', '$.hourly_rate'), type_double()) }} as hourly_rate,
        {{ safe_cast(json_text('record', '$.budget'), type_double()) }} as budget,

        ---------- booleans
        {{ json_text('record', '$.billable') }} = 'true' as is_billable,
        {{ json_text('record', '$.is_active') }} = 'true' as is_active,
        _is_deleted as is_deleted,

        ---------- timestamps
        updated_at

    from source

)

select * from renamed

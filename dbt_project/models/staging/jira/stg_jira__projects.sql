with

source as (

    select * from {{ source('jira', 'projects') }}

),

renamed as (

    select
        id as project_id,
        {{ json_text('record', '$.key') }} as project_key,
        {{ json_text('record', '$.name') }} as project_name,
        {{ json_text('record', '$.projectTypeKey') }} as project_type,
        _is_deleted as is_deleted

    from source

)

select * from renamed

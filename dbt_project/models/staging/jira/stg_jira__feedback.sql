with

source as (

    select * from {{ source('jira', 'request_feedback') }}

),

renamed as (

    select
        id as issue_id,
        {{ json_text('record', '$.issue.key') }} as issue_key,
        {{ json_text('record', '$.feedback.type') }} as feedback_type,
        {{ safe_cast(json_text('record', '$.feedback.rating'), 'integer') }} as rating,
        nullif({{ json_text('record', '$.feedback.comment.body') }}, '') as comment,
        _is_deleted as is_deleted,
        -- the issue's `updated` when its feedback was read (UTC)
        updated_at as issue_updated_at,
        _loaded_at

    from source

)

select * from renamed

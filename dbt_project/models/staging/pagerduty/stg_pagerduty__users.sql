with

source as (

    select * from {{ source('pagerduty', 'users') }}

),

renamed as (

    select
        ---------- ids
        id as user_id,
        {{ pagerduty_first('record', 'teams', 'id') }} as pagerduty_team_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as full_name,
        lower(trim({{ json_text('record', '$.email') }})) as email,
        {{ json_text('record', '$.role') }} as role,
        {{ json_text('record', '$.job_title') }} as job_title,
        {{ json_text('record', '$.time_zone') }} as time_zone,

        ---------- booleans
        _is_deleted as is_deleted,
        _loaded_at

    from source

)

select * from renamed

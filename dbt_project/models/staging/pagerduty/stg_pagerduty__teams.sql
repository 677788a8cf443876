with

source as (

    select * from {{ source('pagerduty', 'teams') }}

),

renamed as (

    select
        id as pagerduty_team_id,
        {{ json_text('record', '$.name') }} as team_name,
        {{ slug(json_text('record', '$.name')) }} as team_id,
        {{ json_text('record', '$.parent.id') }} as parent_pagerduty_team_id,
        {{ json_text('record', '$.description') }} as description,
        _is_deleted as is_deleted,
        _loaded_at

    from source

)

select * from renamed

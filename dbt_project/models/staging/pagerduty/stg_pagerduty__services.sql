with

source as (

    select * from {{ source('pagerduty', 'services') }}

),

renamed as (

    select
        id as pagerduty_service_id,
        {{ json_text('record', '$.name') }} as service_name,
        {{ slug(json_text('record', '$.name')) }} as service_id,
        {{ pagerduty_first('record', 'teams', 'id') }} as pagerduty_team_id,
        {{ json_text('record', '$.escalation_policy.id') }} as escalation_policy_id,
        {{ json_text('record', '$.status') }} as status,
        {{ json_text('record', '$.description') }} as description,
        _is_deleted as is_deleted,
        {{ iso_timestamp(json_text('record', '$.created_at')) }} as created_at,
        _loaded_at

    from source

)

select * from renamed

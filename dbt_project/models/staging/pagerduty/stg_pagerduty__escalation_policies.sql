with

source as (

    select * from {{ source('pagerduty', 'escalation_policies') }}

),

renamed as (

    select
        id as escalation_policy_id,
        {{ json_text('record', '$.name') }} as escalation_policy_name,
        {{ pagerduty_first('record', 'teams', 'id') }} as pagerduty_team_id,
        {{ safe_cast(json_text('record', '$.num_loops'), 'integer') }} as num_loops,
        _is_deleted as is_deleted,
        _loaded_at

    from source

)

select * from renamed

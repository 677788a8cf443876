{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('incident_id', source('pagerduty', 'incidents')) }}",
) }}
with

source as (

    select * from {{ source('pagerduty', 'incidents') }} as raw_rows
    where {{ loaded_since_last_build('incident_id', 'raw_rows') }}

),

renamed as (

    select
        ---------- ids
        id as incident_id,
        {{ safe_cast(json_text('record', '$.incident_number'), 'bigint') }} as incident_number,
        {{ json_text('record', '$.service.id') }} as pagerduty_service_id,
        {{ pagerduty_first('record', 'teams', 'id') }} as pagerduty_team_id,
        {{ json_text('record', '$.escalation_policy.id') }} as escalation_policy_id,
        {{ json_text('record', '$.priority.id') }} as priority_id,
        {{ pagerduty_first('record', 'assignments', 'assignee.id') }} as assignee_user_id,

        ---------- strings
        {{ json_text('record', '$.title') }} as title,
        {{ json_text('record', '$.status') }} as status,
        {{ json_text('record', '$.urgency') }} as urgency,
        {{ json_text('record', '$.service.summary') }} as service_summary,
        {{ pagerduty_first('record', 'teams', 'summary') }} as team_summary,
        {{ json_text('record', '$.priority.summary') }} as priority_summary,
        {{ json_text('record', '$.resolve_reason') }} as resolve_reason,

        ---------- booleans
        _is_deleted as is_deleted,

        ---------- timestamps (UTC)
        {{ iso_timestamp(json_text('record', '$.created_at')) }} as created_at,
        {{ iso_timestamp(pagerduty_first('record', 'acknowledgements', 'at')) }} as acknowledgement_at,
        {{ iso_timestamp(json_text('record', '$.resolved_at')) }} as resolved_at,
        {{ iso_timestamp(json_text('record', '$.last_status_change_at')) }} as last_status_change_at,
        updated_at,
        _loaded_at

    from source

)

select * from renamed

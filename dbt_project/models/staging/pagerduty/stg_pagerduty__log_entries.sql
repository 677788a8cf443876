{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('log_entry_id', source('pagerduty', 'log_entries')) }}",
) }}
with

source as (

    select * from {{ source('pagerduty', 'log_entries') }} as raw_rows
    where {{ loaded_since_last_build('log_entry_id', 'raw_rows') }}

),

renamed as (

    select
        ---------- ids
        id as log_entry_id,
        {{ json_text('record', '$.incident.id') }} as incident_id,
        {{ json_text('record', '$.agent.id') }} as agent_id,
        {{ json_text('record', '$.service.id') }} as pagerduty_service_id,
        -- who the entry is about: the acknowledger/resolver (agent), or the new assignee
        case
            when {{ json_text('record', '$.agent.type') }} = 'user_reference'
                then {{ json_text('record', '$.agent.id') }}
            else coalesce(
                {{ pagerduty_first('record', 'assignees', 'id') }},
                {{ json_text('record', '$.user.id') }}
            )
        end as user_id,

        ---------- strings
        {{ json_text('record', '$.type') }} as log_entry_type,
        replace({{ json_text('record', '$.type') }}, '_log_entry', '') as entry_type,
        {{ json_text('record', '$.agent.type') }} as agent_type,
        {{ json_text('record', '$.channel.type') }} as channel_type,
        {{ json_text('record', '$.summary') }} as summary,

        ---------- booleans
        _is_deleted as is_deleted,

        ---------- timestamps (UTC)
        {{ iso_timestamp(json_text('record', '$.created_at')) }} as created_at,
        _loaded_at

    from source

)

select * from renamed

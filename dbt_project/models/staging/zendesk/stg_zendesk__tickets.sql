{#- One row per Zendesk ticket (latest version). Deleted tickets are kept and flagged. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('ticket_id', source('zendesk', 'tickets'), config_hash=zendesk_tickets_config_hash()) }}",
) }}

with

source as (

    select * from {{ source('zendesk', 'tickets') }} as raw_rows
    where {{ loaded_since_last_build('ticket_id', 'raw_rows') }}

),

renamed as (

    select
        ---------- ids
        id as ticket_id,
        {{ json_text('record', '$.group_id') }} as group_id,
        {{ json_text('record', '$.assignee_id') }} as assignee_id,
        {{ json_text('record', '$.requester_id') }} as requester_id,
        {{ json_text('record', '$.organization_id') }} as organization_id,

        ---------- strings
        {{ json_text('record', '$.subject') }} as subject,
        {{ json_text('record', '$.status') }} as status,
        {{ json_text('record', '$.type') }} as ticket_type,
        {{ json_text('record', '$.priority') }} as priority,
        {{ json_text('record', '$.via.channel') }} as via_channel,
        -- the "Service" drop-down custom field holds the service's slug
        {{ zendesk_custom_field('record', var('zendesk_service_field_id', 360000100001)) }} as service_value,
        {{ json_text('record', '$.satisfaction_rating.score') }} as satisfaction_score,

        ---------- booleans
        {{ json_array_contains('record', '$.tags', 'canceled') }} as is_canceled,
        _is_deleted or {{ json_text('record', '$.status') }} = 'deleted' as is_deleted,

        ---------- timestamps (UTC)
        {{ iso_timestamp(json_text('record', '$.created_at')) }} as created_at,
        {{ iso_timestamp(json_text('record', '$.updated_at')) }} as updated_at,
        -- generated_timestamp: moves on every update, system updates included (the export's order)
        updated_at as generated_at,
        _loaded_at,
        -- what the service column was read with (the pre-hook rebuilds every row when it changes)
        {{ zendesk_tickets_config_hash() }} as _config_hash

    from source

)

select * from renamed

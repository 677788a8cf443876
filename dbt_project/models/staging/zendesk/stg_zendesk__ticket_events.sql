{#- One row per Zendesk ticket audit (one update of one ticket), from the incremental
    ticket event export; its changes are in stg_zendesk__ticket_field_changes. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('event_id', source('zendesk', 'ticket_events')) }}",
) }}

with

source as (

    select * from {{ source('zendesk', 'ticket_events') }} as raw_rows
    where {{ loaded_since_last_build('event_id', 'raw_rows') }}

),

renamed as (

    select
        id as event_id,
        ticket_id,
        {{ json_text('record', '$.updater_id') }} as updater_id,
        {{ json_text('record', '$.via') }} as via,
        {{ json_text('record', '$.event_type') }} as event_type,
        -- the event's epoch timestamp, parsed at load time
        updated_at as event_at,
        _loaded_at

    from source

)

select * from renamed

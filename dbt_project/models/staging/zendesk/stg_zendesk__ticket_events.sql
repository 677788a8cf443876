{#- One row per Zendesk ticket audit (one update of one ticket), from the incremental
    ticket event export; its changes are in stg_zendesk__ticket_field_changes. -#}
with

source as (

    select * from {{ source('zendesk', 'ticket_events') }}

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

{#- One row per field set or changed on a Zendesk ticket: the Create and Change child
    events of every audit. A Create sets every field at once; a Change carries one field
    (status, priority, group_id, assignee_id or tags) with its previous_value. -#}
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

child_events as (

    select
        id as event_id,
        ticket_id,
        updated_at as changed_at,
        _loaded_at,
        {{ json_array_elements('record', '$.child_events') }} as child
    from source

),

renamed as (

    select
        ---------- ids
        {{ json_text('child', '$.id') }} as child_event_id,
        event_id,
        ticket_id,

        ---------- the change
        {{ json_text('child', '$.event_type') }} as child_event_type,
        {{ json_text('child', '$.status') }} as status,
        {{ json_text('child', '$.priority') }} as priority,
        {{ json_text('child', '$.group_id') }} as group_id,
        {{ json_text('child', '$.assignee_id') }} as assignee_id,
        {{ json_text('child', '$.previous_value') }} as previous_value,

        ---------- timestamps (UTC)
        changed_at,
        _loaded_at

    from child_events

)

select * from renamed
where child_event_type in ('Create', 'Change')

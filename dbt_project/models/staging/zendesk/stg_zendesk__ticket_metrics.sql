{#- One row per Zendesk ticket metric set: Zendesk's own durations (calendar and business
    minutes, per the account's schedules) and counters for one ticket. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('metric_set_id', source('zendesk', 'ticket_metrics')) }}",
) }}

with

source as (

    select * from {{ source('zendesk', 'ticket_metrics') }} as raw_rows
    where {{ loaded_since_last_build('metric_set_id', 'raw_rows') }}

),

renamed as (

    select
        ---------- ids
        id as metric_set_id,
        ticket_id,

        ---------- counters
        {{ safe_cast(json_text('record', '$.reopens'), 'integer') }} as reopens,
        {{ safe_cast(json_text('record', '$.replies'), 'integer') }} as replies,
        {{ safe_cast(json_text('record', '$.group_stations'), 'integer') }} as group_stations,
        {{ safe_cast(json_text('record', '$.assignee_stations'), 'integer') }} as assignee_stations,

        ---------- durations in minutes (null while not reached)
        {%- for metric in ['reply_time', 'first_resolution_time', 'full_resolution_time', 'agent_wait_time',
                           'requester_wait_time', 'on_hold_time'] %}
        {%- for clock in ['calendar', 'business'] %}
        {{ safe_cast(json_text('record', '$.' ~ metric ~ '_in_minutes.' ~ clock), 'integer') }}
            as {{ metric }}_{{ clock }}_minutes,
        {%- endfor %}
        {%- endfor %}

        ---------- timestamps (UTC)
        {%- for field in ['assigned_at', 'initially_assigned_at', 'solved_at', 'status_updated_at',
                          'latest_comment_added_at', 'requester_updated_at', 'assignee_updated_at',
                          'created_at'] %}
        {{ iso_timestamp(json_text('record', '$.' ~ field)) }} as {{ field }},
        {%- endfor %}
        updated_at,
        _is_deleted as is_deleted,
        _loaded_at

    from source

)

select * from renamed

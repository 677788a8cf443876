{#- One row per Zendesk satisfaction rating (legacy CSAT). The list includes surveys
    still unanswered (offered) and never sent (unoffered): only good/bad are responses. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('rating_id', source('zendesk', 'satisfaction_ratings')) }}",
) }}

with

source as (

    select * from {{ source('zendesk', 'satisfaction_ratings') }} as raw_rows
    where {{ loaded_since_last_build('rating_id', 'raw_rows') }}

),

renamed as (

    select
        ---------- ids
        id as rating_id,
        {{ json_text('record', '$.ticket_id') }} as ticket_id,
        {{ json_text('record', '$.assignee_id') }} as assignee_id,
        {{ json_text('record', '$.group_id') }} as group_id,
        {{ json_text('record', '$.requester_id') }} as requester_id,

        ---------- strings
        {{ json_text('record', '$.score') }} as score,
        nullif({{ json_text('record', '$.comment') }}, '') as comment,
        nullif({{ json_text('record', '$.reason') }}, '') as reason,

        ---------- booleans
        {{ json_text('record', '$.score') }} in ('good', 'bad') as is_received,
        _is_deleted as is_deleted,

        ---------- timestamps (UTC)
        {{ iso_timestamp(json_text('record', '$.created_at')) }} as created_at,
        -- when the current score was given (for a received rating: the response)
        updated_at,
        _loaded_at

    from source

)

select * from renamed

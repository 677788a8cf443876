{#- One row per Runn actual: minutes worked by a person on a project, in a role, on a day. Deleted
    actuals (from the activity log) are flagged. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('actual_id', source('runn', 'actuals')) }}",
) }}

with

source as (

    select * from {{ source('runn', 'actuals') }} as raw_rows
    where {{ loaded_since_last_build('actual_id', 'raw_rows') }}

),

renamed as (

    select
        ---------- ids
        id as actual_id,
        {{ json_text('record', '$.personId') }} as person_id,
        {{ json_text('record', '$.projectId') }} as project_id,
        {{ json_text('record', '$.roleId') }} as role_id,
        {{ json_text('record', '$.phaseId') }} as phase_id,

        ---------- strings
        {{ json_text('record', '$.billableNote') }} as billable_note,
        {{ json_text('record', '$.nonbillableNote') }} as nonbillable_note,

        ---------- numerics: minutes
        coalesce({{ safe_cast(json_text('record', '$.billableMinutes'), 'bigint') }}, 0) as billable_minutes,
        coalesce({{ safe_cast(json_text('record', '$.nonbillableMinutes'), 'bigint') }}, 0) as nonbillable_minutes,
        coalesce({{ safe_cast(json_text('record', '$.billableMinutes'), 'bigint') }}, 0) + coalesce({{ safe_cast(json_text('record', '$.nonbillableMinutes'), 'bigint') }}, 0) as total_minutes,

        ---------- booleans
        _is_deleted as is_deleted,

        ---------- dates
        date as actual_date,
        {{ iso_timestamp(json_text('record', '$.createdAt')) }} as created_at,
        updated_at,
        _loaded_at

    from source

)

select * from renamed

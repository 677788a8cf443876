{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('time_entry_id', source('harvest', 'time_entries')) }}",
) }}
with

source as (

    select * from {{ source('harvest', 'time_entries') }} as raw_rows
    where {{ loaded_since_last_build('time_entry_id', 'raw_rows') }}

),

renamed as (

    select
        ---------- ids
        id as time_entry_id,
        {{ json_text('record', '$.user.id') }} as user_id,
        {{ json_text('record', '$.project.id') }} as project_id,
        {{ json_text('record', '$.task.id') }} as task_id,

        ---------- strings
        {{ json_text('record', '$.task.name') }} as task_name,
        {{ json_text('record', '$.notes') }} as notes,

        ---------- numerics (decimal hours; rates per hour, null when unknown or not billable)
        {{ safe_cast(json_text('record', '$.hours'), type_double()) }} as hours,
        {{ safe_cast(json_text('record', '$.cost_rate'), type_double()) }} as cost_rate,
        {{ safe_cast(json_text('record', '$.billable_rate'), type_double()) }} as billable_rate,

        ---------- booleans
        {{ json_text('record', '$.billable') }} = 'true' as is_billable,
        _is_deleted as is_deleted,

        ---------- dates and timestamps
        spent_date,
        {{ iso_timestamp(json_text('record', '$.created_at')) }} as created_at,
        updated_at,
        _loaded_at

    from source

)

select * from renamed

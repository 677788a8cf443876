{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('task_sla_id', source('servicenow', 'task_sla')) }}",
) }}
with

source as (

    select * from {{ source('servicenow', 'task_sla') }} as raw_rows
    where {{ loaded_since_last_build('task_sla_id', 'raw_rows') }}

),

renamed as (

    select
        ---------- ids
        id as task_sla_id,
        {{ sn_ref('record', 'task') }} as task_id,
        {{ sn_ref('record', 'sla') }} as sla_definition_id,
        {{ sn_ref('record', 'schedule') }} as schedule_id,

        ---------- strings
        {{ sn_value('record', 'stage') }} as stage,
        {{ sn_value('record', 'timezone') }} as time_zone,

        ---------- booleans
        {{ sn_value('record', 'has_breached') }} = 'true' as has_breached,
        {{ sn_value('record', 'active') }} = 'true' as is_active,
        _is_deleted as is_deleted,

        ---------- durations (seconds) and percentages
        {{ sn_duration_seconds('record', 'duration') }} as duration_seconds,
        {{ sn_duration_seconds('record', 'business_duration') }} as business_duration_seconds,
        {{ sn_duration_seconds('record', 'pause_duration') }} as pause_duration_seconds,
        {{ sn_duration_seconds('record', 'business_pause_duration') }} as business_pause_duration_seconds,
        {{ sn_duration_seconds('record', 'time_left') }} as time_left_seconds,
        {{ sn_duration_seconds('record', 'business_time_left') }} as business_time_left_seconds,
        {{ safe_cast(sn_value('record', 'percentage'), type_double()) }} as elapsed_pct,
        {{ safe_cast(sn_value('record', 'business_percentage'), type_double()) }} as business_elapsed_pct,

        ---------- timestamps (UTC)
        {{ sn_timestamp('record', 'start_time') }} as started_at,
        {{ sn_timestamp('record', 'end_time') }} as stopped_at,
        {{ sn_timestamp('record', 'planned_end_time') }} as planned_end_at,
        {{ sn_timestamp('record', 'original_breach_time') }} as original_breach_at,
        {{ sn_timestamp('record', 'pause_time') }} as paused_at,
        {{ sn_timestamp('record', 'sys_created_on') }} as created_at,
        updated_at,
        _loaded_at

    from source

)

select * from renamed

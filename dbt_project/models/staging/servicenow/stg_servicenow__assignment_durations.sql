{#- ServiceNow's "Assignment Group" metric: one row per interval an incident kept one assignment group. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('metric_instance_id', source('servicenow', 'metric_instance')) }}",
) }}

with

source as (

    select * from {{ source('servicenow', 'metric_instance') }} as raw_rows
    where {{ loaded_since_last_build('metric_instance_id', 'raw_rows') }}

),

renamed as (

    select
        id as metric_instance_id,
        {{ sn_value('record', 'id') }} as incident_id,
        {{ sn_value('record', 'field_value') }} as assignment_group_id,
        {{ sn_value('record', 'value') }} as group_name,
        {{ sn_timestamp('record', 'start') }} as started_at,
        {{ sn_timestamp('record', 'end') }} as ended_at,
        {{ sn_duration_seconds('record', 'duration') }} as duration_seconds,
        {{ sn_value('record', 'calculation_complete') }} = 'true' as is_complete,
        _is_deleted as is_deleted,
        updated_at,
        _loaded_at

    from source
    where {{ sn_value('record', 'table') }} = 'incident'
      and {{ sn_value('record', 'field') }} = 'assignment_group'

)

select * from renamed

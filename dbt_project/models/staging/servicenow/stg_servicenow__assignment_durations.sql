{#- ServiceNow's "Assignment Group" metric: one row per interval an incident kept one assignment group. -#}
with

source as (

    select * from {{ source('servicenow', 'metric_instance') }}

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
        updated_at

    from source
    where {{ sn_value('record', 'table') }} = 'incident'
      and {{ sn_value('record', 'field') }} = 'assignment_group'

)

select * from renamed

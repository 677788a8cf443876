with

source as (

    select * from {{ source('servicenow', 'contract_sla') }}

),

renamed as (

    select
        id as sla_definition_id,
        {{ sn_value('record', 'name') }} as sla_name,
        {{ sn_value('record', 'type') }} as sla_type,
        {{ sn_value('record', 'target') }} as target,
        {{ sn_value('record', 'collection') }} as table_name,
        {{ sn_duration_seconds('record', 'duration') }} as duration_seconds,
        {{ sn_ref('record', 'schedule') }} as schedule_id,
        {{ sn_value('record', 'start_condition') }} as start_condition,
        {{ sn_value('record', 'stop_condition') }} as stop_condition,
        {{ sn_value('record', 'pause_condition') }} as pause_condition,
        {{ sn_value('record', 'retroactive') }} = 'true' as is_retroactive,
        {{ sn_value('record', 'active') }} = 'true' as is_active,
        _is_deleted as is_deleted,
        updated_at

    from source

)

select * from renamed

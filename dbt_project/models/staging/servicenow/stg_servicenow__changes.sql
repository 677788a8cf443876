with

source as (

    select * from {{ source('servicenow', 'change_request') }}

),

renamed as (

    select
        ---------- ids
        id as change_id,
        {{ sn_value('record', 'number') }} as number,
        {{ sn_ref('record', 'assignment_group') }} as assignment_group_id,
        {{ sn_ref('record', 'business_service') }} as business_service_id,
        {{ sn_ref('record', 'requested_by') }} as requested_by_user_id,

        ---------- strings
        {{ sn_value('record', 'type') }} as change_type,
        {{ sn_value('record', 'state') }} as state_code,
        case {{ sn_value('record', 'state') }}
            when '-5' then 'new'
            when '-4' then 'assess'
            when '-3' then 'authorize'
            when '-2' then 'scheduled'
            when '-1' then 'implement'
            when '0' then 'review'
            when '3' then 'closed'
            when '4' then 'canceled'
        end as state,
        case {{ sn_value('record', 'risk') }}
            when '1' then 'very_high'
            when '2' then 'high'
            when '3' then 'moderate'
            when '4' then 'low'
        end as risk,
        {{ sn_value('record', 'close_code') }} as close_code,
        {{ sn_value('record', 'approval') }} as approval,
        {{ sn_value('record', 'short_description') }} as short_description,

        ---------- numerics
        {{ safe_cast(sn_value('record', 'priority'), 'integer') }} as priority,
        {{ safe_cast(sn_value('record', 'impact'), 'integer') }} as impact,

        ---------- booleans
        {{ sn_value('record', 'active') }} = 'true' as is_active,
        _is_deleted as is_deleted,

        ---------- timestamps (UTC)
        {{ sn_timestamp('record', 'opened_at') }} as opened_at,
        {{ sn_timestamp('record', 'start_date') }} as planned_start_at,
        {{ sn_timestamp('record', 'end_date') }} as planned_end_at,
        {{ sn_timestamp('record', 'work_start') }} as work_start_at,
        {{ sn_timestamp('record', 'work_end') }} as work_end_at,
        {{ sn_timestamp('record', 'closed_at') }} as closed_at,
        {{ sn_timestamp('record', 'sys_created_on') }} as created_at,
        updated_at,
        _loaded_at

    from source

)

select * from renamed

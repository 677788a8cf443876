with

source as (

    select * from {{ source('servicenow', 'problem') }}

),

renamed as (

    select
        ---------- ids
        id as problem_id,
        {{ sn_value('record', 'number') }} as number,
        {{ sn_ref('record', 'assignment_group') }} as assignment_group_id,
        {{ sn_ref('record', 'business_service') }} as business_service_id,
        {{ sn_ref('record', 'first_reported_by_task') }} as first_reported_by_task_id,

        ---------- strings
        {{ sn_value('record', 'state') }} as state_code,
        case {{ sn_value('record', 'state') }}
            when '101' then 'new'
            when '102' then 'assess'
            when '103' then 'root_cause_analysis'
            when '104' then 'fix_in_progress'
            when '106' then 'resolved'
            when '107' then 'closed'
        end as state,
        {{ sn_value('record', 'resolution_code') }} as resolution_code,
        {{ sn_value('record', 'short_description') }} as short_description,

        ---------- numerics
        {{ safe_cast(sn_value('record', 'priority'), 'integer') }} as priority,

        ---------- booleans
        {{ sn_value('record', 'known_error') }} = 'true' as is_known_error,
        {{ sn_value('record', 'active') }} = 'true' as is_active,
        _is_deleted as is_deleted,

        ---------- timestamps (UTC)
        {{ sn_timestamp('record', 'opened_at') }} as opened_at,
        {{ sn_timestamp('record', 'resolved_at') }} as resolved_at,
        {{ sn_timestamp('record', 'closed_at') }} as closed_at,
        updated_at,
        _loaded_at

    from source

)

select * from renamed

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('incident_id', source('servicenow', 'incident')) }}",
) }}
with

source as (

    select * from {{ source('servicenow', 'incident') }} as raw_rows
    where {{ loaded_since_last_build('incident_id', 'raw_rows') }}

),

renamed as (

    select
        ---------- ids
        id as incident_id,
        {{ sn_value('record', 'number') }} as number,
        {{ sn_ref('record', 'assignment_group') }} as assignment_group_id,
        {{ sn_ref('record', 'assigned_to') }} as assigned_to_user_id,
        {{ sn_ref('record', 'caller_id') }} as caller_user_id,
        {{ sn_ref('record', 'business_service') }} as business_service_id,
        {{ sn_ref('record', 'caused_by') }} as caused_by_change_id,

        ---------- strings
        {{ sn_value('record', 'state') }} as state_code,
        case {{ sn_value('record', 'state') }}
            when '1' then 'open'
            when '2' then 'open'
            when '3' then 'pending'
            when '6' then 'resolved'
            when '7' then 'closed'
            when '8' then 'canceled'
            else 'open'
        end as status_category,
        {{ sn_value('record', 'category') }} as category,
        {{ sn_value('record', 'contact_type') }} as contact_type,
        {{ sn_value('record', 'short_description') }} as short_description,
        {{ sn_value('record', 'close_code') }} as close_code,
        {{ sn_value('record', 'major_incident_state') }} as major_incident_state,

        ---------- numerics
        {{ safe_cast(sn_value('record', 'priority'), 'integer') }} as priority,
        {{ safe_cast(sn_value('record', 'impact'), 'integer') }} as impact,
        {{ safe_cast(sn_value('record', 'urgency'), 'integer') }} as urgency,
        coalesce({{ safe_cast(sn_value('record', 'reassignment_count'), 'integer') }}, 0) as reassignment_count,
        coalesce({{ safe_cast(sn_value('record', 'reopen_count'), 'integer') }}, 0) as reopen_count,
        {{ safe_cast(sn_value('record', 'calendar_stc'), 'bigint') }} as calendar_stc_seconds,

        ---------- booleans
        {{ sn_value('record', 'active') }} = 'true' as is_active,
        {{ sn_value('record', 'made_sla') }} = 'true' as made_sla,
        _is_deleted as is_deleted,

        ---------- timestamps (UTC)
        {{ sn_timestamp('record', 'opened_at') }} as opened_at,
        {{ sn_timestamp('record', 'resolved_at') }} as resolved_at,
        {{ sn_timestamp('record', 'closed_at') }} as closed_at,
        {{ sn_timestamp('record', 'sla_due') }} as sla_due_at,
        {{ sn_timestamp('record', 'sys_created_on') }} as created_at,
        updated_at,
        _loaded_at

    from source

)

select * from renamed

{#- One row per Runn assignment: scheduled minutes per working day between two dates. A placeholder's
    assignment carries the placeholder's id in personId: it is moved to placeholder_id here. -#}
with

source as (

    select * from {{ source('runn', 'assignments') }}

),

renamed as (

    select
        ---------- ids
        id as assignment_id,
        case when {{ json_text('record', '$.isPlaceholder') }} = 'true' then null else {{ json_text('record', '$.personId') }} end as person_id,
        case when {{ json_text('record', '$.isPlaceholder') }} = 'true' then {{ json_text('record', '$.personId') }} end as placeholder_id,
        {{ json_text('record', '$.projectId') }} as project_id,
        {{ json_text('record', '$.roleId') }} as role_id,
        {{ json_text('record', '$.phaseId') }} as phase_id,

        ---------- strings
        {{ json_text('record', '$.note') }} as note,

        ---------- numerics: minutes scheduled per working day
        {{ safe_cast(json_text('record', '$.minutesPerDay'), 'bigint') }} as minutes_per_day,

        ---------- booleans
        {{ json_text('record', '$.isBillable') }} = 'true' as is_billable,
        {{ json_text('record', '$.isPlaceholder') }} = 'true' as is_placeholder,
        {{ json_text('record', '$.isNonWorkingDay') }} = 'true' as is_non_working_day,
        {{ json_text('record', '$.isActive') }} = 'true' as is_active,
        {{ json_text('record', '$.isTemplate') }} = 'true' as is_template,
        _is_deleted as is_deleted,

        ---------- dates
        start_date,
        end_date,
        {{ iso_timestamp(json_text('record', '$.createdAt')) }} as created_at,
        updated_at

    from source

)

select * from renamed

{#- One row per (project, role) budget in Runn; the raw id is 'projectId:roleId'. -#}
with

source as (

    select * from {{ source('runn', 'budget_roles') }}

),

renamed as (

    select
        ---------- ids
        id as budget_role_key,
        {{ json_text('record', '$.projectId') }} as project_id,
        {{ json_text('record', '$.roleId') }} as role_id,

        ---------- numerics: minutes, money
        {{ safe_cast(json_text('record', '$.estimatedMinutes'), 'bigint') }} as estimated_minutes,
        {{ safe_cast(json_text('record', '$.estimatedBudget'), type_double()) }} as estimated_budget,

        ---------- booleans
        _is_deleted as is_deleted

    from source

)

select * from renamed

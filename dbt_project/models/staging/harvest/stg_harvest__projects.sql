with

source as (

    select * from {{ source('harvest', 'projects') }}

),

renamed as (

    select
        ---------- ids
        id as project_id,
        {{ json_text('record', '$.code') }} as project_code,
        {{ json_text('record', '$.client.id') }} as client_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as project_name,
        {{ json_text('record', '$.client.name') }} as client_name,
        {{ json_text('record', '$.bill_by') }} as bill_by,
        {{ json_text('record', '$.budget_by') }} as budget_by,
        {{ json_text('record', '$.client.currency') }} as currency,

        ---------- numerics
        {{ safe_cast(json_text('record', '$.budget'), type_double()) }} as budget,
        {{ safe_cast(json_text('record', '$.cost_budget'), type_double()) }} as cost_budget,
        {{ safe_cast(json_text('record', '$.fee'), type_double()) }} as fee,

        ---------- booleans
        {{ json_text('record', '$.is_active') }} = 'true' as is_active,
        {{ json_text('record', '$.is_billable') }} = 'true' as is_billable,
        {{ json_text('record', '$.is_fixed_fee') }} = 'true' as is_fixed_fee,
        {{ json_text('record', '$.budget_is_monthly') }} = 'true' as is_budget_monthly,
        _is_deleted as is_deleted,

        ---------- dates
        {{ safe_cast(json_text('record', '$.starts_on'), 'date') }} as starts_on,
        {{ safe_cast(json_text('record', '$.ends_on'), 'date') }} as ends_on,
        updated_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('pagerduty', 'priorities') }}

),

typed as (

    select
        id as priority_id,
        {{ json_text('record', '$.name') }} as priority_name,
        {{ json_text('record', '$.description') }} as description,
        {{ safe_cast(json_text('record', '$.order'), 'integer') }} as priority_order,
        _is_deleted as is_deleted,
        _loaded_at
    from source

),

renamed as (

    select
        priority_id,
        priority_name,
        -- 1 = most severe, as in every other source: the digits of the name (P1, SEV-2),
        -- else the rank by PagerDuty's order (a higher order is more severe)
        coalesce(
            {{ safe_cast("nullif(regexp_replace(priority_name, '[^0-9]', '', 'g'), '')", 'integer') }},
            cast(dense_rank() over (partition by is_deleted order by priority_order desc) as integer)
        ) as priority_number,
        description,
        priority_order,
        is_deleted,
        _loaded_at
    from typed

)

select * from renamed

with

source as (

    select * from {{ source('runn', 'phases') }}

),

renamed as (

    select
        ---------- ids
        id as phase_id,
        {{ json_text('record', '$.projectId') }} as project_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as phase_name,

        ---------- booleans
        _is_deleted as is_deleted,

        ---------- dates
        {{ safe_cast(json_text('record', '$.startDate'), 'date') }} as start_date,
        {{ safe_cast(json_text('record', '$.endDate'), 'date') }} as end_date,
        updated_at

    from source

)

select * from renamed

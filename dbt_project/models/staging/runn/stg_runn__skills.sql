with

source as (

    select * from {{ source('runn', 'skills') }}

),

renamed as (

    select
        ---------- ids
        id as skill_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as skill_name,

        ---------- booleans
        _is_deleted as is_deleted,

        ---------- timestamps
        updated_at

    from source

)

select * from renamed

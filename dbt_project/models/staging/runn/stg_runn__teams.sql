with

source as (

    select * from {{ source('runn', 'teams') }}

),

renamed as (

    select
        ---------- ids
        id as team_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as team_name,

        ---------- booleans
        _is_deleted as is_deleted,

        ---------- timestamps
        {{ iso_timestamp(json_text('record', '$.createdAt')) }} as created_at,
        updated_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('servicenow', 'sys_user') }}

),

renamed as (

    select
        ---------- ids
        id as user_id,
        {{ sn_value('record', 'user_name') }} as user_name,

        ---------- strings
        {{ sn_value('record', 'name') }} as full_name,
        lower(trim({{ sn_value('record', 'email') }})) as email,
        {{ sn_value('record', 'title') }} as title,
        {{ sn_value('record', 'time_zone') }} as time_zone,

        ---------- booleans
        {{ sn_value('record', 'active') }} = 'true' as is_active,
        _is_deleted as is_deleted,

        ---------- timestamps
        {{ sn_timestamp('record', 'sys_created_on') }} as created_at,
        updated_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('servicenow', 'sys_user_group') }}

),

renamed as (

    select
        id as group_id,
        {{ sn_value('record', 'name') }} as group_name,
        {{ slug(sn_value('record', 'name')) }} as team_id,
        {{ sn_value('record', 'description') }} as description,
        {{ sn_value('record', 'active') }} = 'true' as is_active,
        _is_deleted as is_deleted,
        updated_at

    from source

)

select * from renamed

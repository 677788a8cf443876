with

source as (

    select * from {{ source('servicenow', 'sys_user_grmember') }}

),

renamed as (

    select
        id as membership_id,
        {{ sn_ref('record', 'user') }} as user_id,
        {{ sn_ref('record', 'group') }} as group_id,
        {{ sn_timestamp('record', 'sys_created_on') }} as created_at,
        _is_deleted as is_deleted,
        updated_at

    from source

)

select * from renamed

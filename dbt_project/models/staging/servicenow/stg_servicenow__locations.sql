with

source as (

    select * from {{ source('servicenow', 'cmn_location') }}

),

renamed as (

    select
        id as location_id,
        {{ sn_value('record', 'name') }} as location_name,
        {{ sn_value('record', 'city') }} as city,
        {{ sn_value('record', 'country') }} as country,
        {{ sn_value('record', 'time_zone') }} as time_zone,
        {{ sn_ref('record', 'parent') }} as parent_location_id,
        _is_deleted as is_deleted,
        updated_at

    from source

)

select * from renamed

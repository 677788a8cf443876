with

source as (

    select * from {{ source('servicenow', 'cmdb_ci_service') }}

),

renamed as (

    select
        id as business_service_id,
        {{ sn_value('record', 'name') }} as service_name,
        {{ slug(sn_value('record', 'name')) }} as service_id,
        {{ sn_ref('record', 'support_group') }} as support_group_id,
        {{ safe_cast(sn_value('record', 'busines_criticality'), 'integer') }} as criticality,
        _is_deleted as is_deleted,
        updated_at

    from source

)

select * from renamed

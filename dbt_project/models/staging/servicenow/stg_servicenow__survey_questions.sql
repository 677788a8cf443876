with

source as (

    select * from {{ source('servicenow', 'asmt_metric') }}

),

renamed as (

    select
        id as question_id,
        {{ sn_value('record', 'name') }} as question_name,
        {{ sn_value('record', 'question') }} as question_text,
        {{ sn_value('record', 'datatype') }} as data_type,
        {{ safe_cast(sn_value('record', 'scale_min'), type_double()) }} as scale_min,
        {{ safe_cast(sn_value('record', 'scale_max'), type_double()) }} as scale_max,
        {{ sn_ref('record', 'metric_type') }} as survey_id,
        {{ sn_value('record', 'active') }} = 'true' as is_active,
        _is_deleted as is_deleted,
        updated_at

    from source

)

select * from renamed

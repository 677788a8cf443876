with

source as (

    select * from {{ source('servicenow', 'asmt_assessment_instance') }}

),

renamed as (

    select
        id as survey_instance_id,
        {{ sn_value('record', 'number') }} as number,
        {{ sn_ref('record', 'metric_type') }} as survey_id,
        {{ sn_ref('record', 'user') }} as respondent_user_id,
        {{ sn_value('record', 'state') }} as state,
        {{ sn_value('record', 'trigger_table') }} as trigger_table,
        {{ sn_value('record', 'trigger_id') }} as trigger_id,
        {{ sn_timestamp('record', 'sys_created_on') }} as sent_at,
        {{ sn_timestamp('record', 'taken_on') }} as taken_at,
        {{ sn_timestamp('record', 'due_date') }} as due_at,
        _is_deleted as is_deleted,
        updated_at

    from source

)

select * from renamed

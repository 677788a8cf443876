{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('survey_result_id', source('servicenow', 'asmt_metric_result')) }}",
) }}
with

source as (

    select * from {{ source('servicenow', 'asmt_metric_result') }} as raw_rows
    where {{ loaded_since_last_build('survey_result_id', 'raw_rows') }}

),

renamed as (

    select
        ---------- ids
        id as survey_result_id,
        {{ sn_ref('record', 'instance') }} as survey_instance_id,
        {{ sn_ref('record', 'metric') }} as question_id,
        {{ sn_ref('record', 'user') }} as respondent_user_id,
        {{ sn_value('record', 'source_table') }} as source_table,
        {{ sn_value('record', 'source_id') }} as source_record_id,

        ---------- values: actual_value is the option value (-1 for strings and unanswered),
        ---------- string_value the answer as displayed ('N/A' when unanswered)
        {{ safe_cast(sn_value('record', 'actual_value'), type_double()) }} as actual_value,
        {{ safe_cast(sn_value('record', 'normalized_value'), type_double()) }} as normalized_value,
        {{ sn_value('record', 'string_value') }} as string_value,
        coalesce({{ sn_value('record', 'string_value') }}, 'N/A') <> 'N/A' as is_answered,

        ---------- flags and timestamps
        _is_deleted as is_deleted,
        {{ sn_timestamp('record', 'sys_created_on') }} as created_at,
        updated_at,
        _loaded_at

    from source

)

select * from renamed

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('issue_id', source('jira', 'issues'), config_hash=jira_custom_fields_hash()) }}",
) }}

with

source as (

    select * replace ({{ jira_issue_without_histories('raw_rows.record') }} as record)
    from {{ source('jira', 'issues') }} as raw_rows
    where {{ loaded_since_last_build('issue_id', 'raw_rows') }}

),

custom_fields as (

    select * from {{ ref('stg_jira__custom_fields') }}

),

renamed as (

    select
        ---------- ids
        source.id as issue_id,
        {{ json_text('record', '$.key') }} as issue_key,
        {{ json_text('record', '$.fields.project.id') }} as project_id,
        {{ json_text('record', '$.fields.project.key') }} as project_key,
        {{ json_text('record', '$.fields.assignee.accountId') }} as assignee_account_id,
        {{ json_text('record', '$.fields.reporter.accountId') }} as reporter_account_id,

        ---------- strings
        {{ json_text('record', '$.fields.summary') }} as summary,
        {{ json_text('record', '$.fields.issuetype.name') }} as issue_type,
        {{ json_text(jira_custom_field('record', 'custom_fields.request_type_field_id'), '$.requestType.name') }}
            as request_type,
        {{ json_text('record', '$.fields.status.id') }} as status_id,
        {{ json_text('record', '$.fields.status.name') }} as status_name,
        {{ json_text('record', '$.fields.status.statusCategory.key') }} as status_category_key,
        {{ jira_status_category(json_text('record', '$.fields.status.name'),
                                json_text('record', '$.fields.status.statusCategory.key')) }} as status_category,
        {{ json_text('record', '$.fields.priority.name') }} as priority_name,
        {{ json_text('record', '$.fields.resolution.name') }} as resolution_name,
        {{ json_text(jira_custom_field('record', 'custom_fields.team_field_id'), '$.id') }} as team_uuid,
        {{ json_text(jira_custom_field('record', 'custom_fields.team_field_id'), '$.name') }} as team_name,
        {{ slug(json_text(jira_custom_field('record', 'custom_fields.team_field_id'), '$.name')) }} as team_id,
        {{ jira_first_element_text('record', '$.fields.components', 'name') }} as service_name,
        {{ slug(jira_first_element_text('record', '$.fields.components', 'name')) }} as service_id,

        ---------- numerics
        {{ jira_priority_rank(json_text('record', '$.fields.priority.name'),
                              json_text('record', '$.fields.priority.id')) }} as priority,
        {{ safe_cast(json_text(jira_custom_field('record', 'custom_fields.satisfaction_field_id'), '$.rating'),
                     'integer') }} as satisfaction_rating,
        {{ safe_cast(json_text('record', '$.changelog.total'), 'integer') }} as changelog_total,

        ---------- timestamps (UTC; the record keeps Jira's offset strings)
        {{ iso_timestamp(json_text('record', '$.fields.created')) }} as created_at,
        {{ iso_timestamp(json_text('record', '$.fields.resolutiondate')) }} as resolved_at,
        {{ iso_timestamp(json_text('record', '$.fields.statuscategorychangedate')) }} as status_category_changed_at,
        {{ iso_timestamp(jira_custom_field_text('record', 'custom_fields.satisfaction_date_field_id')) }}
            as satisfaction_at,
        updated_at,

        ---------- flags
        source._is_deleted as is_deleted,
        source._loaded_at,
        -- the custom field ids these columns were read with
        {{ jira_custom_fields_hash() }} as _config_hash

    from source
    cross join custom_fields

)

select * from renamed

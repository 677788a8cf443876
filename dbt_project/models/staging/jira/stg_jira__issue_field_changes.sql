{#- One row per field change in an issue's changelog (Jira "history items"): status,
    priority, assignee, Team, resolution and any other field, with Jira's raw ids and
    display strings on both sides. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('issue_id', source('jira', 'issues')) }}",
) }}

with

source as (

    select * from {{ source('jira', 'issues') }} as raw_rows
    where not raw_rows._is_deleted
      and {{ loaded_since_last_build('issue_id', 'raw_rows') }}

),

histories as (

    select
        id as issue_id,
        _loaded_at,
        {{ jira_json_elements(jira_json_at('record', '$.changelog.histories')) }} as history
    from source

),

items as (

    select
        issue_id,
        _loaded_at,
        {{ json_text('history', '$.id') }} as history_id,
        {{ json_text('history', '$.author.accountId') }} as author_account_id,
        {{ json_text('history', '$.created') }} as created_raw,
        {{ jira_json_elements(jira_json_at('history', '$.items')) }} as item
    from histories

),

renamed as (

    select
        issue_id,
        history_id,
        {{ safe_cast('history_id', 'bigint') }} as history_seq,
        {{ iso_timestamp('created_raw') }} as changed_at,
        author_account_id,
        {{ json_text('item', '$.field') }} as field_name,
        {{ json_text('item', '$.fieldId') }} as field_id,
        {{ json_text('item', '$.fieldtype') }} as field_type,
        {{ json_text('item', '$.from') }} as from_value,
        {{ json_text('item', '$.fromString') }} as from_string,
        {{ json_text('item', '$.to') }} as to_value,
        {{ json_text('item', '$.toString') }} as to_string,
        _loaded_at

    from items

)

select * from renamed

{#- One row per field change in an issue's changelog (Jira "history items"): status,
    priority, assignee, Team, resolution and any other field, with Jira's raw ids and
    display strings on both sides. -#}
with

source as (

    select * from {{ source('jira', 'issues') }}
    where not _is_deleted

),

histories as (

    select
        id as issue_id,
        {{ jira_json_elements(jira_json_at('record', '$.changelog.histories')) }} as history
    from source

),

items as (

    select
        issue_id,
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
        {{ json_text('item', '$.toString') }} as to_string

    from items

)

select * from renamed

{#- One row per status transition in an issue's changelog. -#}
with

changes as (

    select * from {{ ref('stg_jira__issue_field_changes') }}
    where field_id = 'status' or (field_id is null and field_name = 'status')

),

renamed as (

    select
        issue_id,
        history_id,
        history_seq,
        changed_at,
        author_account_id,
        from_value as from_status_id,
        from_string as from_status,
        to_value as to_status_id,
        to_string as to_status,
        {{ jira_status_category('to_string') }} as to_status_category

    from changes

)

select * from renamed

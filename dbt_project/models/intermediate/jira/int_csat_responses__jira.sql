{#- Jira Service Management customer satisfaction in the canonical CSAT shape: one rating
    (1..5) per request, from the request's feedback; answered when the issue's
    "Satisfaction date" field says (else when the Satisfaction field changed in the
    changelog). Feedback on deleted issues is excluded. -#}
with

feedback as (

    select * from {{ ref('stg_jira__feedback') }}
    where not is_deleted
      and rating is not null

),

issues as (

    select * from {{ ref('stg_jira__issues') }}
    where not is_deleted

),

field_changes as (

    select * from {{ ref('stg_jira__issue_field_changes') }}

),

custom_fields as (

    select * from {{ ref('stg_jira__custom_fields') }}

),

rated_in_changelog as (

    select
        field_changes.issue_id,
        max(field_changes.changed_at) as rated_at
    from field_changes
    cross join custom_fields
    where field_changes.field_id = custom_fields.satisfaction_field_id
       or (field_changes.field_id is null and field_changes.field_name = 'Satisfaction')
    group by 1

),

canonical as (

    select
        'jira:' || feedback.issue_id as response_key,
        'jira' as source,
        feedback.issue_id as source_id,
        'jira:' || feedback.issue_id as ticket_key,
        coalesce(issues.satisfaction_at, rated_in_changelog.rated_at) as responded_at,
        'csat' as question,
        cast(feedback.rating as {{ type_double() }}) as score,
        1 as scale_min,
        5 as scale_max,
        feedback.rating >= 4 as is_satisfied,
        feedback.comment,
        -- inner-joined to its ticket below: never ahead of it
        false as is_ticket_pending
    from feedback
    inner join issues
        on issues.issue_id = feedback.issue_id
    left join rated_in_changelog
        on rated_in_changelog.issue_id = feedback.issue_id

)

select * from canonical

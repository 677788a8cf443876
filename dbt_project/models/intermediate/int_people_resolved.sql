{#- One row per human across sources: the accounts of int_identity_map grouped on their
    person (the normalised e-mail, after identity overrides).

    The person's team comes from the first source that gives one, in this order: Runn (the
    planning tool, where managers keep who is in which team), the headcount spreadsheets,
    ServiceNow (first assignment-group membership), then any other source (team_rank in
    int_identity_map). -#}
with

accounts as (

    select * from {{ ref('int_identity_map') }}

),

team_choice as (

    select
        person_id,
        team_id,
        team_name,
        row_number() over (partition by person_id order by team_rank, source, source_user_id) as preference
    from accounts
    where team_id is not null

),

grouped as (

    select
        person_id,
        email,
        max(full_name) as full_name,
        max(case when source = 'servicenow' then source_user_id end) as servicenow_user_id,
        max(case when source = 'harvest' then source_user_id end) as harvest_user_id,
        max(case when source = 'runn' then source_user_id end) as runn_person_id,
        max(case when source = 'pagerduty' then source_user_id end) as pagerduty_user_id,
        max(case when source = 'zendesk' then source_user_id end) as zendesk_user_id,
        max(case when source = 'jira' then source_user_id end) as jira_account_id,
        bool_or(is_active) as is_active
    from accounts
    group by person_id, email

),

resolved as (

    select
        grouped.person_id,
        grouped.email,
        grouped.full_name,
        grouped.servicenow_user_id,
        grouped.harvest_user_id,
        grouped.runn_person_id,
        grouped.pagerduty_user_id,
        grouped.zendesk_user_id,
        grouped.jira_account_id,
        team_choice.team_id,
        team_choice.team_name,
        grouped.is_active
    from grouped
    left join team_choice
        on team_choice.person_id = grouped.person_id
        and team_choice.preference = 1

)

select * from resolved

{#- Jira agents (atlassian accounts; JSM portal customers and apps are not staff) in the
    canonical people shape. Jira's user API carries no team: a person's team is the Team
    of the issue they were most recently assigned (the Team field moves with the work, and
    agents are assigned within their own team). -#}
with

users as (

    select * from {{ ref('stg_jira__users') }}
    where not is_deleted
      and account_type = 'atlassian'
      and email is not null

),

issues as (

    select * from {{ ref('stg_jira__issues') }}
    where not is_deleted
      and assignee_account_id is not null
      and team_id is not null

),

latest_team as (

    select
        assignee_account_id as account_id,
        team_id,
        team_name,
        row_number() over (partition by assignee_account_id order by updated_at desc, issue_id desc) as recency
    from issues

),

canonical as (

    select
        'jira' as source,
        users.account_id as source_user_id,
        users.email,
        users.display_name as full_name,
        latest_team.team_id,
        latest_team.team_name,
        users.is_active
    from users
    left join latest_team
        on latest_team.account_id = users.account_id
        and latest_team.recency = 1

)

select * from canonical

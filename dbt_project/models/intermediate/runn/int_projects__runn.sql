{#- Runn projects in the canonical project shape. Runn projects carry no dates: they span their
    phases and assignments. The money budget is the project's; the hour budget the sum of its
    budget roles. Runn does not send the account's currency: var runn_currency (env
    RUNN_CURRENCY, default USD) names it. -#}
with

projects as (

    select * from {{ ref('stg_runn__projects') }}
    where not is_deleted and not is_template

),

clients as (

    select * from {{ ref('stg_runn__clients') }}

),

runn_teams as (

    select * from {{ ref('stg_runn__teams') }}

),

budget_roles as (

    select
        project_id,
        sum(estimated_minutes) as estimated_minutes
    from {{ ref('stg_runn__budget_roles') }}
    where not is_deleted
    group by project_id

),

spans as (

    select project_id, start_date, end_date from {{ ref('stg_runn__phases') }} where not is_deleted
    union all
    select project_id, start_date, end_date from {{ ref('stg_runn__assignments') }} where not is_deleted

),

dates as (

    select
        project_id,
        min(start_date) as start_date,
        max(end_date) as end_date
    from spans
    group by project_id

),

canonical as (

    select
        'runn:' || projects.project_id as project_key,
        'runn' as source,
        projects.project_id as source_id,
        {{ slug('projects.project_name') }} as project_id,
        projects.project_name,
        clients.client_name,
        {{ slug('runn_teams.team_name') }} as team_id,
        projects.pricing_model,
        projects.budget as budget_amount,
        budget_roles.estimated_minutes / 60.0 as budget_hours,
        '{{ var("runn_currency") }}' as currency,
        dates.start_date,
        dates.end_date,
        projects.is_confirmed,
        not projects.is_archived as is_active,
        projects.updated_at
    from projects
    left join clients
        on clients.client_id = projects.client_id
    left join runn_teams
        on runn_teams.team_id = projects.team_id
    left join budget_roles
        on budget_roles.project_id = projects.project_id
    left join dates
        on dates.project_id = projects.project_id

)

select * from canonical

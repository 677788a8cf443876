{#- One row per project across sources, keyed on the slug of its name (the project_id every fact
    uses). A project kept in both Runn and Harvest is one row:
      - Runn first for what Runn plans: pricing model, budget, currency, team, confirmation;
        Harvest fills what Runn lacks;
      - planned dates: Harvest's starts_on / ends_on (explicit dates), else Runn's span of phases
        and assignments (Runn projects carry no dates of their own);
      - project_category (strategic / ktlo / support, the hours-share KPIs): the Runn project tag
        naming a category (stg_runn__projects.category_tag), 'unclassified' without one. -#}
with

projects as (

    select * from {{ ref('int_projects_unioned') }}

),

runn as (

    select * from projects
    where source = 'runn'

),

harvest as (

    select * from projects
    where source = 'harvest'

),

runn_tags as (

    select project_id as source_id, category_tag from {{ ref('stg_runn__projects') }}
    where not is_deleted

),

project_ids as (

    select project_id from projects
    group by project_id

),

final as (

    select
        project_ids.project_id,
        coalesce(runn.project_name, harvest.project_name) as project_name,
        coalesce(runn.client_name, harvest.client_name) as client_name,
        coalesce(runn.team_id, harvest.team_id) as team_id,
        coalesce(runn_tags.category_tag, 'unclassified') as project_category,
        coalesce(runn.pricing_model, harvest.pricing_model) as pricing_model,
        coalesce(runn.budget_amount, harvest.budget_amount) as budget_amount,
        coalesce(runn.budget_hours, harvest.budget_hours) as budget_hours,
        coalesce(runn.currency, harvest.currency) as currency,
        coalesce(harvest.start_date, runn.start_date) as start_date,
        case when harvest.start_date is not null then harvest.end_date else runn.end_date end as end_date,
        coalesce(runn.is_confirmed, harvest.is_confirmed, true) as is_confirmed,
        coalesce(runn.is_active, false) or coalesce(harvest.is_active, false) as is_active,
        runn.source_id as runn_project_id,
        harvest.source_id as harvest_project_id,
        case
            when runn.source_id is not null and harvest.source_id is not null then 'harvest,runn'
            when runn.source_id is not null then 'runn'
            else 'harvest'
        end as sources
    from project_ids
    left join runn
        on runn.project_id = project_ids.project_id
    left join harvest
        on harvest.project_id = project_ids.project_id
    left join runn_tags
        on runn_tags.source_id = runn.source_id

)

select * from final

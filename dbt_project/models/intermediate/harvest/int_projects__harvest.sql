{#- Harvest projects in the canonical project shape. Pricing: fixed fee -> fp, billable -> tm,
    otherwise nb. Budget: Harvest budgets a project in hours (budget_by project, task or person)
    or in money (project_cost); the money budget is that, else the fixed fee, else the cost budget. -#}
with

projects as (

    select * from {{ ref('stg_harvest__projects') }}
    where not is_deleted

),

canonical as (

    select
        'harvest:' || project_id as project_key,
        'harvest' as source,
        project_id as source_id,
        {{ slug('project_name') }} as project_id,
        project_name,
        client_name,
        cast(null as varchar) as team_id,
        case
            when is_fixed_fee then 'fp'
            when is_billable then 'tm'
            else 'nb'
        end as pricing_model,
        case when budget_by = 'project_cost' then budget else coalesce(fee, cost_budget) end as budget_amount,
        case when budget_by in ('project', 'task', 'person') then budget end as budget_hours,
        currency,
        starts_on as start_date,
        ends_on as end_date,
        true as is_confirmed,
        is_active,
        updated_at
    from projects

)

select * from canonical

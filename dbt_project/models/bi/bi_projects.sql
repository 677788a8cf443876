{{ config(materialized='view', schema='bi', alias='projects') }}

with

financials as (

    select * from {{ bi_ref('fct_project_financials') }}

),

projects as (

    select * from {{ bi_ref('dim_projects') }}

),

teams as (

    select * from {{ bi_ref('dim_teams') }}

),

friendly as (

    select
        financials.month_start,
        financials.project_id,
        projects.project_name,
        projects.client_name,
        financials.team_id,
        teams.team_name,
        financials.project_category,
        projects.pricing_model,
        financials.is_confirmed,
        financials.currency,
        financials.budget_amount,
        financials.actual_hours,
        financials.actual_cost,
        financials.cumulative_actual_cost,
        financials.scheduled_remaining_cost,
        financials.forecast_cost_at_completion,
        financials.budget_amount - financials.forecast_cost_at_completion as budget_variance,
        financials.percent_complete,
        financials.planned_percent_complete,
        financials.earned_value,
        financials.planned_value,
        financials.planned_end_date,
        financials.forecast_end_date,
        financials.is_to_date
    from financials
    left join projects
        on projects.project_id = financials.project_id
    left join teams
        on teams.team_id = financials.team_id

)

select * from friendly

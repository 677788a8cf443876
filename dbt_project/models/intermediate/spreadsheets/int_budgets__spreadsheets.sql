{#- Budgets from the spreadsheets: one row per cost centre or project and period, the amount for
    the whole period (spread it over days, or compare it with costs of the same period). -#}
with

budgets as (

    select * from {{ ref('stg_spreadsheets__budgets') }}

),

final as (

    select
        file_name || ':' || cast(row_number as varchar) as budget_key,
        budget_type,
        cost_centre_id,
        cost_centre_name,
        project_id,
        project_name,
        period,
        period_start,
        period_end,
        amount,
        currency,
        notes,
        file_name
    from budgets

)

select * from final

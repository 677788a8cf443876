{#- One row per budget line: an amount for a cost centre (department or team) or a project over a period. -#}
with

source as (

    select * from {{ source('spreadsheets', 'budgets') }}

),

renamed as (

    select
        ---------- provenance
        _file as file_name,
        _row as row_number,
        _loaded_at as loaded_at,

        ---------- ids
        {{ slug('cost_centre') }} as cost_centre_id,
        {{ slug('project') }} as project_id,

        ---------- strings
        case when cost_centre is not null then 'cost_centre' else 'project' end as budget_type,
        period,
        cost_centre as cost_centre_name,
        project as project_name,
        currency,
        notes,

        ---------- numerics (money for the whole period)
        cast(amount as {{ type_double() }}) as amount,

        ---------- dates (the period's first and last day)
        period_start,
        period_end

    from source

)

select * from renamed

{#- One row per Runn project. Pricing model: tm (time and materials), fp (fixed price), nb (non-billable);
    a project that is not confirmed is tentative. -#}
with

source as (

    select * from {{ source('runn', 'projects') }}

),

renamed as (

    select
        ---------- ids
        id as project_id,
        {{ json_text('record', '$.clientId') }} as client_id,
        {{ json_text('record', '$.teamId') }} as team_id,
        {{ json_text('record', '$.rateCardId') }} as rate_card_id,

        ---------- strings
        {{ json_text('record', '$.name') }} as project_name,
        {{ json_text('record', '$.pricingModel') }} as pricing_model,
        {{ json_text('record', '$.rateType') }} as rate_type,
        -- the first of the project's tags (up to the third) that names a project category
        -- (var project_categories): how the hours shares tell strategic work from KTLO and support
        case
            {%- for i in range(3) %}
            when lower({{ json_text('record', '$.tags[' ~ i ~ '].name') }}) in ('{{ var("project_categories") | join("', '") }}')
                then lower({{ json_text('record', '$.tags[' ~ i ~ '].name') }})
            {%- endfor %}
        end as category_tag,

        ---------- numerics (money)
        {{ safe_cast(json_text('record', '$.budget'), type_double()) }} as budget,
        {{ safe_cast(json_text('record', '$.expensesBudget'), type_double()) }} as expenses_budget,

        ---------- booleans
        {{ json_text('record', '$.isConfirmed') }} = 'true' as is_confirmed,
        not ({{ json_text('record', '$.isConfirmed') }} = 'true') as is_tentative,
        {{ json_text('record', '$.isArchived') }} = 'true' as is_archived,
        {{ json_text('record', '$.isTemplate') }} = 'true' as is_template,
        _is_deleted as is_deleted,

        ---------- timestamps
        {{ iso_timestamp(json_text('record', '$.createdAt')) }} as created_at,
        updated_at

    from source

)

select * from renamed

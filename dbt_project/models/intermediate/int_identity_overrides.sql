{#- Identity exceptions, applied before people are matched on their e-mail: the seed
    identity_overrides.csv (kept in the repository) and the identity_overrides spreadsheets
    (kept by the people who run the tools); a spreadsheet row wins over a seed row for the
    same account. -#}
with

from_seed as (

    select
        cast(source as varchar) as source,
        cast(source_user_id as varchar) as source_user_id,
        lower(trim(cast(canonical_email as varchar))) as canonical_email,
        'seed identity_overrides.csv' as defined_in
    from {{ ref('identity_overrides') }}

),

from_spreadsheets as (

    select
        source,
        source_user_id,
        canonical_email,
        'spreadsheet ' || file_name as defined_in
    from {{ ref('stg_spreadsheets__identity_overrides') }}

),

combined as (

    select * from from_spreadsheets
    union all
    select * from from_seed
    where not exists (
        select 1 from from_spreadsheets
        where from_spreadsheets.source = from_seed.source
            and from_spreadsheets.source_user_id = from_seed.source_user_id
    )

)

select * from combined

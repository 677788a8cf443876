{#- People from the headcount spreadsheets in the canonical people shape: one row per e-mail, from
    its latest contract period (the account id is the e-mail: a spreadsheet has no other). -#}
with

headcount as (

    select * from {{ ref('stg_spreadsheets__headcount') }}

),

latest as (

    select
        headcount.*,
        row_number() over (partition by email order by start_date desc, file_name, row_number) as recency
    from headcount

),

canonical as (

    select
        'spreadsheets' as source,
        email as source_user_id,
        email,
        full_name,
        team_id,
        team_name,
        end_date is null or end_date >= current_date as is_active
    from latest
    where recency = 1

)

select * from canonical

{#- One row per identity exception: this source account belongs to the person with canonical_email. -#}
with

source as (

    select * from {{ source('spreadsheets', 'identity_overrides') }}

),

renamed as (

    select
        ---------- provenance
        _file as file_name,
        _row as row_number,
        _loaded_at as loaded_at,

        ---------- strings
        source,
        source_user_id,
        lower(trim(canonical_email)) as canonical_email

    from source

)

select * from renamed

{#- One row per SLA target: priority x metric (response / resolution), for every team (team null) or one. -#}
with

source as (

    select * from {{ source('spreadsheets', 'sla_targets') }}

),

renamed as (

    select
        ---------- provenance
        _file as file_name,
        _row as row_number,
        _loaded_at as loaded_at,

        ---------- ids
        {{ slug('team') }} as team_id,

        ---------- strings
        team as team_name,
        metric,

        ---------- numerics
        priority,
        target_minutes,

        ---------- booleans
        business_hours as is_business_hours

    from source

)

select * from renamed

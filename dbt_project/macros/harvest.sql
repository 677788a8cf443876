{#- One row per rate period of a Harvest user, from the billable_rates or cost_rates stream
    (the same shape; the API's records do not name the user: the connector keeps it in the
    raw table's user_id column). -#}
{% macro stg_harvest_rate_periods(stream) -%}
with

source as (

    select * from {{ source('harvest', stream) }}

),

renamed as (

    select
        ---------- ids
        id as rate_id,
        user_id,

        ---------- numerics (money per hour)
        {{ safe_cast(json_text('record', '$.amount'), type_double()) }} as amount,

        ---------- booleans
        _is_deleted as is_deleted,

        ---------- dates (end_date null: the current rate)
        {{ safe_cast(json_text('record', '$.start_date'), 'date') }} as start_date,
        {{ safe_cast(json_text('record', '$.end_date'), 'date') }} as end_date,
        {{ iso_timestamp(json_text('record', '$.created_at')) }} as created_at,
        updated_at

    from source

)

select * from renamed
{%- endmacro %}

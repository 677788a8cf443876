{#- Tickets from every ITSM source. Each source contributes one int_tickets__<source>
    model with exactly these columns (see _intermediate__models.yml). -#}
with

servicenow as (

    select * from {{ ref('int_tickets__servicenow') }}

),

unioned as (

    select * from servicenow

)

select * from unioned

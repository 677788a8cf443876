with

people as (

    select * from {{ ref('int_people_resolved') }}

)

select * from people

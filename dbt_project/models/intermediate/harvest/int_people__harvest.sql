{#- Harvest users in the canonical people shape (Harvest has no teams). Users without an e-mail
    are kept: an identity override can still name their person. -#}
with

users as (

    select * from {{ ref('stg_harvest__users') }}
    where not is_deleted

),

canonical as (

    select
        'harvest' as source,
        user_id as source_user_id,
        email,
        full_name,
        cast(null as varchar) as team_id,
        cast(null as varchar) as team_name,
        is_active
    from users

)

select * from canonical

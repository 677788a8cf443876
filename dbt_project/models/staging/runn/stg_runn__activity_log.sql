{#- One row per deletion event of Runn's activity log (the deletions applied to the other streams). -#}
with

source as (

    select * from {{ source('runn', 'activity_log') }}

),

renamed as (

    select
        ---------- ids
        id as event_id,
        coalesce(
            {{ json_text('record', '$.actual.id') }}, {{ json_text('record', '$.assignment.id') }}, {{ json_text('record', '$.timeOff.id') }},
            {{ json_text('record', '$.person.id') }}, {{ json_text('record', '$.contract.id') }}, {{ json_text('record', '$.project.id') }}
        ) as object_id,

        ---------- strings
        event_type,
        {{ json_text('record', '$.actor.type') }} as actor_type,

        ---------- timestamps
        updated_at as occurred_at

    from source

)

select * from renamed

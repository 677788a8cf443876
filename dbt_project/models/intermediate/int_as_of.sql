{#- The moment the warehouse's data describes: the latest modification stamp of any ticket,
    status change, incident or change (var `as_of` overrides it, e.g. in tests).

    Things that depend on "now" (a running SLA's verdict, today's backlog, the availability
    of the current day) are measured at this instant rather than at the wall clock, so the
    same data always gives the same marts: an incremental run and a full refresh agree, and
    a rerun changes nothing. -#}
with

stamps as (

    select max(updated_at) as stamp from {{ ref('int_tickets_unioned') }}
    union all
    select max(changed_at) from {{ ref('int_ticket_status_changes_unioned') }}
    union all
    select max(updated_at) from {{ ref('int_incidents_unioned') }}
    union all
    select max(updated_at) from {{ ref('int_changes_unioned') }}

),

as_of as (

    select
        {%- if var('as_of', none) is not none %}
        cast('{{ var("as_of") }}' as timestamp with time zone) as as_of_at
        {%- else %}
        coalesce(max(stamp), {{ dbt.current_timestamp() }}) as as_of_at
        {%- endif %}
    from stamps

)

select * from as_of

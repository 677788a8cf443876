with

tickets as (

    select * from {{ ref('int_tickets_unioned') }}

),

measured as (

    select
        ticket_key,
        source,
        source_id,
        number,
        ticket_type,
        priority,
        team_id,
        service_id,
        status_category,
        is_major,
        opened_at,
        first_response_at,
        case when status_category in ('resolved', 'closed') then resolved_at end as resolved_at,
        closed_at,
        reopen_count,
        reassignment_count,
        {{ hours_between('opened_at', 'first_response_at') }} as first_response_calendar_hours,
        cast(null as {{ type_double() }}) as first_response_business_hours,
        case when status_category in ('resolved', 'closed') and resolved_at is not null
            then {{ hours_between('opened_at', 'resolved_at') }}
        end as resolution_calendar_hours,
        cast(null as {{ type_double() }}) as resolution_business_hours,
        -- Resolved by the team that first took it: no hand-off, no reopen.
        status_category in ('resolved', 'closed') and reassignment_count = 0 and reopen_count = 0
            as is_first_contact_resolution,
        made_sla,
        updated_at
    from tickets

)

select * from measured

{#- One row per ticket from every ITSM source (deleted tickets excluded), with response and
    resolution times in calendar and business hours.

    Business hours are on the calendar of the team that owned the ticket at the end of the
    measured span (the team that responded, the team that resolved): the schedule in force
    at the event, for the whole duration, as the Zendesk UI does (dbt_zendesk instead sums
    across every schedule the ticket passed through; see docs/kpis.md).

    reopen_count and reassignment_count are the source's native counts where it has them
    (ServiceNow), else counted from the status history; both versions are kept and
    reconciled in int_ticket_reopen_reconciliation. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_stale_ticket_rows('ticket_fingerprint') }}",
) }}

with

fingerprints as (

    select * from {{ ref('int_ticket_fingerprints') }}

),

tickets as (

    select tickets.*, fingerprints.ticket_fingerprint
    from {{ ref('int_tickets_unioned') }} as tickets
    inner join fingerprints
        on fingerprints.ticket_key = tickets.ticket_key
    where 1 = 1
    {{- tickets_without_rows('tickets') }}

),

intervals as (

    select intervals.*
    from {{ ref('fct_ticket_status_intervals') }} as intervals
    inner join tickets
        on tickets.ticket_key = intervals.ticket_key

),

history as (

    select
        ticket_key,
        cast(sum(case when is_reopen then 1 else 0 end) as integer) as reopen_count_derived,
        cast(sum(case when is_reassignment then 1 else 0 end) as integer) as reassignment_count_derived,
        min(case when status_category in ('resolved', 'closed') then valid_from end) as first_resolved_at,
        count(*) as status_change_count
    from intervals
    group by 1

),

resolved as (

    select
        tickets.*,
        history.first_resolved_at,
        history.reopen_count_derived,
        history.reassignment_count_derived,
        history.status_change_count,
        -- resolution figures only for tickets whose current status is resolved or closed
        case when tickets.status_category in ('resolved', 'closed') then tickets.resolved_at end
            as final_resolved_at
    from tickets
    left join history
        on history.ticket_key = tickets.ticket_key

),

-- the team in force at first response and at resolution: the interval containing the instant
responders as (

    select resolved.ticket_key, intervals.team_id as first_response_team_id
    from resolved
    inner join intervals
        on intervals.ticket_key = resolved.ticket_key
        and intervals.valid_from <= resolved.first_response_at
        and (intervals.valid_to > resolved.first_response_at or intervals.valid_to is null)

),

resolvers as (

    select resolved.ticket_key, intervals.team_id as resolution_team_id
    from resolved
    inner join intervals
        on intervals.ticket_key = resolved.ticket_key
        and intervals.valid_from <= resolved.final_resolved_at
        and (intervals.valid_to > resolved.final_resolved_at or intervals.valid_to is null)

),

keyed as (

    select
        resolved.*,
        coalesce(responders.first_response_team_id, resolved.team_id) as first_response_team_id,
        coalesce(resolvers.resolution_team_id, resolved.team_id) as resolution_team_id,
        coalesce(response_calendars.team_id, '*') as response_calendar_key,
        coalesce(resolution_calendars.team_id, '*') as resolution_calendar_key
    from resolved
    left join responders
        on responders.ticket_key = resolved.ticket_key
    left join resolvers
        on resolvers.ticket_key = resolved.ticket_key
    left join {{ ref('int_team_calendars') }} as response_calendars
        on response_calendars.team_id = coalesce(responders.first_response_team_id, resolved.team_id)
    left join {{ ref('int_team_calendars') }} as resolution_calendars
        on resolution_calendars.team_id = coalesce(resolvers.resolution_team_id, resolved.team_id)

),

response_opened as (

    {{ business_clock('keyed', 'response_calendar_key', 'opened_at', 'response_clock_opened') }}

),

response_done as (

    {{ business_clock('response_opened', 'response_calendar_key', 'first_response_at', 'response_clock_done') }}

),

resolution_opened as (

    {{ business_clock('response_done', 'resolution_calendar_key', 'opened_at', 'resolution_clock_opened') }}

),

resolution_done as (

    {{ business_clock('resolution_opened', 'resolution_calendar_key', 'final_resolved_at',
                      'resolution_clock_done') }}

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
        first_resolved_at,
        final_resolved_at as resolved_at,
        closed_at,
        coalesce(reopen_count, reopen_count_derived) as reopen_count,
        reopen_count as reopen_count_native,
        reopen_count_derived,
        coalesce(reassignment_count, reassignment_count_derived) as reassignment_count,
        status_change_count,
        first_response_team_id,
        case when final_resolved_at is not null then resolution_team_id end as resolution_team_id,
        {{ hours_between('opened_at', 'first_response_at') }} as first_response_calendar_hours,
        (response_clock_done - response_clock_opened) / 3600.0 as first_response_business_hours,
        {{ hours_between('opened_at', 'final_resolved_at') }} as resolution_calendar_hours,
        (resolution_clock_done - resolution_clock_opened) / 3600.0 as resolution_business_hours,
        -- resolved by the team that first took it: no hand-off, no reopen (null until resolved)
        case
            when final_resolved_at is not null
                then coalesce(reassignment_count, reassignment_count_derived, 0) = 0
                    and coalesce(reopen_count, reopen_count_derived, 0) = 0
        end as is_first_contact_resolution,
        made_sla,
        updated_at,
        ticket_fingerprint as source_fingerprint
    from resolution_done

)

select * from measured

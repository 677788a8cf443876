{#- One row per ticket status interval: from one status change to the next. The last
    interval of a ticket is open-ended (valid_to null, durations null): what it lasts
    depends on "now", which the facts never do (kpi models measure at int_as_of).

    team_id and priority carry the last known value forward through changes that do not
    report them, and fall back to the ticket's current values. A ticket with no status
    history at all gets one interval from its opening in its current status.

    is_reopen: the interval starts a move from a resolved-category status (resolved,
    closed) back to an open one (open, pending). is_reassignment: the team changed.
    business_minutes are on the calendar of the interval's team (int_team_calendars). -#}
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

recorded as (

    select changes.*
    from {{ ref('int_ticket_status_changes_unioned') }} as changes
    inner join tickets
        on tickets.ticket_key = changes.ticket_key

),

without_history as (

    select
        ticket_key, source, opened_at as changed_at, status_category,
        cast(null as varchar) as source_status, team_id, priority
    from tickets
    where not exists (select 1 from recorded where recorded.ticket_key = tickets.ticket_key)

),

changes as (

    select ticket_key, source, changed_at, status_category, source_status, team_id, priority from recorded
    union all
    select * from without_history

),

ordered as (

    select
        *,
        row_number() over ticket_order as interval_index,
        lead(changed_at) over ticket_order as valid_to,
        lag(status_category) over ticket_order as previous_status_category,
        -- running counts of known values: each group starts at a row that reports a value
        count(team_id) over (ticket_order rows between unbounded preceding and current row) as team_group,
        count(priority) over (ticket_order rows between unbounded preceding and current row) as priority_group
    from changes
    window ticket_order as (
        partition by ticket_key
        order by changed_at,
            case status_category
                when 'open' then 1 when 'pending' then 2 when 'resolved' then 3 when 'closed' then 4 else 5
            end,
            source_status
    )

),

carried as (

    select
        ordered.*,
        max(team_id) over (partition by ticket_key, team_group) as known_team_id,
        max(priority) over (partition by ticket_key, priority_group) as known_priority
    from ordered

),

attributed as (

    select
        carried.ticket_key,
        carried.source,
        carried.interval_index,
        carried.status_category,
        carried.source_status,
        carried.previous_status_category,
        coalesce(carried.known_team_id, tickets.team_id) as team_id,
        coalesce(carried.known_priority, tickets.priority) as priority,
        carried.changed_at as valid_from,
        carried.valid_to,
        tickets.ticket_fingerprint
    from carried
    inner join tickets
        on tickets.ticket_key = carried.ticket_key

),

flagged as (

    select
        attributed.*,
        coalesce(team_calendars.team_id, '*') as calendar_key,
        coalesce(
            attributed.previous_status_category in ('resolved', 'closed')
            and attributed.status_category in ('open', 'pending'),
            false
        ) as is_reopen,
        coalesce(
            lag(attributed.team_id) over (partition by attributed.ticket_key order by attributed.interval_index)
                <> attributed.team_id,
            false
        ) as is_reassignment
    from attributed
    left join {{ ref('int_team_calendars') }} as team_calendars
        on team_calendars.team_id = attributed.team_id

),

clock_from as (

    {{ business_clock('flagged', 'calendar_key', 'valid_from', 'business_clock_from') }}

),

clock_to as (

    {{ business_clock('clock_from', 'calendar_key', 'valid_to', 'business_clock_to') }}

),

final as (

    select
        ticket_key || ':' || cast(interval_index as varchar) as status_interval_key,
        ticket_key,
        source,
        interval_index,
        status_category,
        source_status,
        previous_status_category,
        team_id,
        priority,
        valid_from,
        valid_to,
        valid_to is null as is_current,
        is_reopen,
        is_reassignment,
        {{ seconds_between('valid_from', 'valid_to') }} / 60.0 as calendar_minutes,
        (business_clock_to - business_clock_from) / 60.0 as business_minutes,
        ticket_fingerprint as source_fingerprint
    from clock_to

)

select * from final

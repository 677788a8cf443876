{#- One row per SLA instance: our engine's response and resolution SLAs for every ticket,
    and the SLAs the sources computed themselves (int_ticket_slas_unioned). is_counted marks
    the one instance per (ticket, metric) the KPIs use: the source's own (its latest
    started) when the source has one, else ours; int_ticket_sla_reconciliation compares the
    two where both exist.

    The engine:
      - starts both clocks at opening, with the target of the priority in force then
        (int_sla_targets: the ticket team's own target, else every team's; the first status
        interval's priority);
      - counts time only in open statuses: pending (waiting on the requester or a third
        party) pauses the clock, resolved/closed stop it, a reopen resumes it;
      - response stops at the first response, or at the first resolution when that came
        first (a ticket resolved without a reply); it is computed only for sources that
        record first responses at all;
      - resolution stops at the final resolution of a resolved or closed ticket;
      - runs on the business clock of the team owning each status interval when the target
        says in_business_hours, else on calendar time;
      - breach_at is the first instant the counted time exceeds the target (projected into
        the future for a running clock; null while paused);
      - is_breached: elapsed > target once stopped; true as soon as breach_at has passed
        (int_as_of) while running; null while running within target (no verdict yet) and
        for canceled tickets whose clock never stopped. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_stale_ticket_rows('sla_fingerprint', extra_condition='is_running') }}",
) }}

with

as_of as (

    select as_of_at from {{ ref('int_as_of') }}

),

fingerprints as (

    select * from {{ ref('int_ticket_fingerprints') }}

),

tickets as (

    select
        tickets.*,
        fingerprints.sla_fingerprint,
        fingerprints.source_has_first_response
    from {{ ref('int_tickets_unioned') }} as tickets
    inner join fingerprints
        on fingerprints.ticket_key = tickets.ticket_key
    where 1 = 1
    {{- tickets_without_rows('tickets') }}

),

intervals as (

    select intervals.*, coalesce(team_calendars.team_id, '*') as calendar_key
    from {{ ref('fct_ticket_status_intervals') }} as intervals
    inner join tickets
        on tickets.ticket_key = intervals.ticket_key
    left join {{ ref('int_team_calendars') }} as team_calendars
        on team_calendars.team_id = intervals.team_id

),

ticket_history as (

    select
        ticket_key,
        max(case when interval_index = 1 then priority end) as priority_at_start,
        min(case when status_category in ('resolved', 'closed') then valid_from end) as first_resolved_at,
        max(case when is_current then status_category end) as current_status_category
    from intervals
    group by 1

),

metrics as (

    select 'response' as metric
    union all
    select 'resolution'

),

engine_slas as (

    select
        tickets.ticket_key || ':' || metrics.metric || ':engine' as sla_key,
        tickets.ticket_key,
        tickets.source,
        tickets.team_id,
        tickets.service_id,
        tickets.status_category,
        metrics.metric,
        coalesce(ticket_history.priority_at_start, tickets.priority) as priority_at_start,
        case when team_targets.metric is not null
            then team_targets.target_minutes else default_targets.target_minutes end as target_minutes,
        case when team_targets.metric is not null
            then team_targets.in_business_hours else default_targets.in_business_hours end as in_business_hours,
        tickets.opened_at as started_at,
        case
            -- whichever came first: a reply after the ticket was already resolved does not extend it
            when metrics.metric = 'response' then least(tickets.first_response_at, ticket_history.first_resolved_at)
            when tickets.status_category in ('resolved', 'closed') then tickets.resolved_at
        end as stopped_at,
        tickets.sla_fingerprint
    from tickets
    cross join metrics
    left join ticket_history
        on ticket_history.ticket_key = tickets.ticket_key
    -- the ticket's team's own target when the organisation set one, else every team's ('*')
    left join {{ ref('int_sla_targets') }} as team_targets
        on team_targets.metric = metrics.metric
        and team_targets.priority = coalesce(ticket_history.priority_at_start, tickets.priority)
        and team_targets.team_id = tickets.team_id
    left join {{ ref('int_sla_targets') }} as default_targets
        on default_targets.metric = metrics.metric
        and default_targets.priority = coalesce(ticket_history.priority_at_start, tickets.priority)
        and coalesce(default_targets.team_id, '*') = '*'
    where (metrics.metric = 'resolution' or tickets.source_has_first_response)
        and coalesce(team_targets.metric, default_targets.metric) is not null

),

-- each SLA's share of each status interval, from the start of the SLA to its stop
pieces as (

    select
        slas.sla_key,
        slas.in_business_hours,
        intervals.interval_index,
        intervals.status_category,
        intervals.calendar_key,
        intervals.valid_from as piece_start_at,
        case
            when intervals.valid_to is null then slas.stopped_at
            when slas.stopped_at is null then intervals.valid_to
            when slas.stopped_at < intervals.valid_to then slas.stopped_at
            else intervals.valid_to
        end as piece_end_at,
        as_of.as_of_at
    from engine_slas as slas
    inner join intervals
        on intervals.ticket_key = slas.ticket_key
        and (slas.stopped_at is null or intervals.valid_from < slas.stopped_at)
    cross join as_of
    where intervals.status_category in ('open', 'pending')

),

clock_start as (

    {{ business_clock('pieces', 'calendar_key', 'piece_start_at', 'business_clock_start') }}

),

clock_end as (

    {{ business_clock('clock_start', 'calendar_key', 'piece_end_at', 'business_clock_end') }}

),

clock_as_of as (

    {{ business_clock('clock_end', 'calendar_key', 'as_of_at', 'business_clock_as_of') }}

),

measured_pieces as (

    select
        *,
        -- counted seconds of a closed piece (null for the open-ended one)
        case
            when status_category <> 'open' then 0
            when piece_end_at is null then null
            when in_business_hours then business_clock_end - business_clock_start
            else {{ seconds_between('piece_start_at', 'piece_end_at') }}
        end as counted_seconds,
        -- counted seconds up to the as-of instant (what has elapsed so far)
        case
            when status_category <> 'open' then 0
            when piece_end_at is not null and piece_end_at <= as_of_at then
                case when in_business_hours then business_clock_end - business_clock_start
                     else {{ seconds_between('piece_start_at', 'piece_end_at') }} end
            when piece_start_at >= as_of_at then 0
            when in_business_hours then business_clock_as_of - business_clock_start
            else {{ seconds_between('piece_start_at', 'as_of_at') }}
        end as elapsed_seconds,
        case
            when status_category <> 'pending' then 0
            when piece_end_at is not null and piece_end_at <= as_of_at
                then {{ seconds_between('piece_start_at', 'piece_end_at') }}
            when piece_start_at >= as_of_at then 0
            else {{ seconds_between('piece_start_at', 'as_of_at') }}
        end as paused_seconds
    from clock_as_of

),

running_totals as (

    select
        measured_pieces.*,
        slas.target_minutes * 60 as target_seconds,
        coalesce(sum(counted_seconds) over (
            partition by measured_pieces.sla_key order by interval_index
            rows between unbounded preceding and 1 preceding
        ), 0) as counted_before
    from measured_pieces
    inner join engine_slas as slas
        on slas.sla_key = measured_pieces.sla_key

),

-- the piece in which the counted time passes the target
breach_pieces as (

    select
        sla_key,
        calendar_key,
        in_business_hours,
        piece_start_at,
        target_seconds - counted_before as remaining_seconds,
        business_clock_start + (target_seconds - counted_before) as business_clock_breach
    from running_totals
    where status_category = 'open'
        and target_seconds - counted_before >= 0
        and (counted_seconds is null or counted_seconds > target_seconds - counted_before)

),

breach_clock as (

    {{ business_clock_inverse('breach_pieces', 'calendar_key', 'business_clock_breach', 'business_breach_at') }}

),

breaches as (

    select
        sla_key,
        min(
            case
                when in_business_hours then business_breach_at
                else {{ dbt.dateadd('second', 'remaining_seconds', 'piece_start_at') }}
            end
        ) as breach_at
    from breach_clock
    group by 1

),

piece_totals as (

    select
        sla_key,
        sum(counted_seconds) as counted_seconds,
        sum(elapsed_seconds) as elapsed_seconds,
        sum(case when status_category = 'pending' and piece_end_at is not null
                 then {{ seconds_between('piece_start_at', 'piece_end_at') }} else 0 end) as paused_seconds_to_stop,
        sum(paused_seconds) as paused_seconds
    from measured_pieces
    group by 1

),

engine_verdicts as (

    select
        slas.sla_key,
        'engine' as origin,
        slas.ticket_key,
        slas.source,
        slas.team_id,
        slas.service_id,
        cast(null as varchar) as sla_name,
        slas.metric,
        slas.priority_at_start,
        slas.target_minutes,
        slas.in_business_hours,
        slas.started_at,
        breaches.breach_at,
        slas.stopped_at,
        -- a stopped clock's time is final; a running one's is measured at the as-of instant
        case
            when slas.stopped_at is not null then coalesce(piece_totals.counted_seconds, 0)
            else coalesce(piece_totals.elapsed_seconds, 0)
        end / 60.0 as elapsed_minutes,
        case
            when slas.stopped_at is not null then coalesce(piece_totals.paused_seconds_to_stop, 0)
            else coalesce(piece_totals.paused_seconds, 0)
        end / 60.0 as paused_minutes,
        slas.stopped_at is null and slas.status_category <> 'canceled' as is_running,
        slas.stopped_at is null and slas.status_category = 'pending' as is_paused,
        case
            when slas.stopped_at is not null then coalesce(piece_totals.counted_seconds, 0) > slas.target_minutes * 60
            when slas.status_category = 'canceled' then null
            when breaches.breach_at <= as_of.as_of_at then true
        end as is_breached,
        slas.status_category = 'canceled' and slas.stopped_at is null as is_canceled,
        slas.sla_fingerprint
    from engine_slas as slas
    cross join as_of
    left join breaches
        on breaches.sla_key = slas.sla_key
    left join piece_totals
        on piece_totals.sla_key = slas.sla_key

),

source_slas as (

    select
        source_slas.sla_key,
        'source' as origin,
        source_slas.ticket_key,
        source_slas.source,
        tickets.team_id,
        tickets.service_id,
        source_slas.sla_name,
        source_slas.metric,
        coalesce(ticket_history.priority_at_start, tickets.priority) as priority_at_start,
        source_slas.target_minutes,
        source_slas.in_business_hours,
        source_slas.started_at,
        source_slas.breach_at,
        source_slas.stopped_at,
        cast(null as {{ type_double() }}) as elapsed_minutes,
        source_slas.paused_minutes,
        source_slas.stopped_at is null as is_running,
        coalesce(source_slas.is_paused, false) and source_slas.stopped_at is null as is_paused,
        source_slas.is_breached,
        false as is_canceled,
        tickets.sla_fingerprint
    from {{ ref('int_ticket_slas_unioned') }} as source_slas
    inner join tickets
        on tickets.ticket_key = source_slas.ticket_key
    left join ticket_history
        on ticket_history.ticket_key = source_slas.ticket_key

),

all_slas as (

    select * from engine_verdicts
    union all
    select * from source_slas

),

counted as (

    select
        all_slas.*,
        case
            when origin = 'source' then row_number() over (
                partition by ticket_key, metric, origin order by started_at desc, sla_key) = 1
            else not exists (
                select 1 from source_slas
                where source_slas.ticket_key = all_slas.ticket_key and source_slas.metric = all_slas.metric
            )
        end as is_counted
    from all_slas

),

final as (

    select
        sla_key,
        origin,
        ticket_key,
        source,
        team_id,
        service_id,
        sla_name,
        metric,
        priority_at_start,
        target_minutes,
        in_business_hours,
        started_at,
        breach_at,
        stopped_at,
        elapsed_minutes,
        paused_minutes,
        is_running,
        is_paused,
        is_breached,
        case
            when is_canceled then 'canceled'
            when is_breached then 'breached'
            when stopped_at is not null then 'achieved'
            when is_paused then 'paused'
            else 'running'
        end as sla_status,
        is_counted,
        sla_fingerprint as source_fingerprint
    from counted

)

select * from final

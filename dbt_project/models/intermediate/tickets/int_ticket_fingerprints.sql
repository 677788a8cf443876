{#- One row per ticket: hashes of everything the ticket facts are computed from, and whether
    the ticket is inside the incremental lookback window (see macros/incremental.sql). -#}
{%- set lookback_hours = var('ticket_lookback_hours', 72) %}

with

tickets as (

    select * from {{ ref('int_tickets_unioned') }}

),

changes as (

    select * from {{ ref('int_ticket_status_changes_unioned') }}

),

source_slas as (

    select * from {{ ref('int_ticket_slas_unioned') }}

),

history as (

    select
        ticket_key,
        {{ fingerprint_agg(['changed_at', 'status_category', 'source_status', 'team_id', 'priority']) }}
            as history_hash
    from changes
    group by 1

),

sla_history as (

    select
        ticket_key,
        {{ fingerprint_agg(['sla_key', 'sla_name', 'metric', 'target_minutes', 'started_at', 'breach_at',
                            'stopped_at', 'is_breached', 'is_paused', 'paused_minutes', 'in_business_hours']) }}
            as sla_hash
    from source_slas
    group by 1

),

calendar_config as (

    select coalesce({{ fingerprint_agg(['part']) }}, '') as calendar_hash
    from (
        select {{ fingerprint(['calendar_id', 'timezone', 'weekday', 'start_minute', 'end_minute']) }} as part
        from {{ ref('int_business_calendars') }}
        union all
        select {{ fingerprint(['holiday_calendar_id', 'holiday_date']) }}
        from {{ ref('int_business_holidays') }}
        union all
        select {{ fingerprint(['team_id', 'calendar_id', 'holiday_calendar_id']) }}
        from {{ ref('team_calendars') }}
        union all
        select {{ fingerprint(['team_id', 'calendar_id', 'holiday_calendar_id']) }}
        from {{ ref('int_team_calendars') }}
        where calendar_origin = 'spreadsheet'
        union all
        select '{{ var("reporting_timezone") }}|{{ var("business_calendar_start", "2015-01-01") }}|'
            || '{{ var("business_calendar_end", "2035-01-01") }}'
    ) as parts

),

target_config as (

    select coalesce({{ fingerprint_agg(['part']) }}, '') as target_hash
    from (
        select {{ fingerprint(['team_id', 'metric', 'priority', 'target_minutes', 'in_business_hours']) }} as part
        from {{ ref('int_sla_targets') }}
    ) as parts

),

responding_sources as (

    select source
    from tickets
    group by 1
    having count(first_response_at) > 0

),

fingerprinted as (

    select
        tickets.ticket_key,
        tickets.source,
        tickets.updated_at,
        responding_sources.source is not null as source_has_first_response,
        {{ fingerprint(['tickets.source_id', 'tickets.number', 'tickets.ticket_type', 'tickets.priority',
                        'tickets.team_id', 'tickets.service_id', 'tickets.status_category', 'tickets.is_major',
                        'tickets.opened_at', 'tickets.first_response_at', 'tickets.resolved_at',
                        'tickets.closed_at', 'tickets.reopen_count', 'tickets.reassignment_count',
                        'tickets.made_sla', 'tickets.updated_at', 'history.history_hash',
                        'calendar_config.calendar_hash']) }} as ticket_fingerprint,
        sla_history.sla_hash,
        target_config.target_hash
    from tickets
    left join history
        on history.ticket_key = tickets.ticket_key
    left join sla_history
        on sla_history.ticket_key = tickets.ticket_key
    left join responding_sources
        on responding_sources.source = tickets.source
    cross join calendar_config
    cross join target_config

),

final as (

    select
        ticket_key,
        source,
        source_has_first_response,
        ticket_fingerprint,
        {{ fingerprint(['ticket_fingerprint', 'sla_hash', 'target_hash', 'source_has_first_response']) }}
            as sla_fingerprint,
        updated_at >= {{ dbt.dateadd('hour', -lookback_hours,
                                     'max(updated_at) over (partition by source)') }} as is_in_lookback
    from fingerprinted

)

select * from final

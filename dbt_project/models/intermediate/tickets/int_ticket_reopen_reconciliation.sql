{#- Native reopen counts (ServiceNow's reopen_count) against the count of resolved -> open
    transitions in the status history, per ticket that has both. Comparable only where the
    history is the source's real history: sources in var derived_status_history_sources
    (default: servicenow, whose history is derived from timestamps until its audit stream
    lands) cannot see reopens and are listed but not compared; nor are tickets whose loaded
    history does not reach back to their opening (a ticket opened before ITOPS_START_DATE or
    a backfill window keeps its native count of a life we only partly hold). The data test
    on counts_match fails on any disagreement. -#}
{%- set derived_sources = var('derived_status_history_sources', ['servicenow']) %}

with

tickets as (

    select * from {{ ref('fct_tickets') }}
    where reopen_count_native is not null

),

history_starts as (

    select ticket_key, min(changed_at) as first_changed_at
    from {{ ref('int_ticket_status_changes_unioned') }}
    group by 1

),

reconciled as (

    select
        tickets.ticket_key,
        tickets.source,
        tickets.reopen_count_native,
        tickets.reopen_count_derived,
        {%- if derived_sources | length > 0 %}
        tickets.source not in ('{{ derived_sources | join("', '") }}')
        {%- else %}
        true
        {%- endif %}
            -- the history starts at the opening (a minute's grace for the source's own clocks)
            and history_starts.first_changed_at <= {{ dbt.dateadd('minute', 1, 'tickets.opened_at') }}
            as is_comparable,
        tickets.reopen_count_native = coalesce(tickets.reopen_count_derived, 0) as counts_match
    from tickets
    left join history_starts
        on history_starts.ticket_key = tickets.ticket_key

)

select * from reconciled

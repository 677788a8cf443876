{#- Native reopen counts (ServiceNow's reopen_count) against the count of resolved -> open
    transitions in the status history, per ticket that has both. Comparable only where the
    history is the source's real history: sources in var derived_status_history_sources
    (default: servicenow, whose history is derived from timestamps until its audit stream
    lands) cannot see reopens and are listed but not compared. The data test on
    counts_match fails on any disagreement. -#}
{%- set derived_sources = var('derived_status_history_sources', ['servicenow']) %}

with

tickets as (

    select * from {{ ref('fct_tickets') }}
    where reopen_count_native is not null

),

reconciled as (

    select
        ticket_key,
        source,
        reopen_count_native,
        reopen_count_derived,
        {%- if derived_sources | length > 0 %}
        source not in ('{{ derived_sources | join("', '") }}') as is_comparable,
        {%- else %}
        true as is_comparable,
        {%- endif %}
        reopen_count_native = coalesce(reopen_count_derived, 0) as counts_match
    from tickets

)

select * from reconciled

{#- Freshness per source stream, from the loader's own bookkeeping (raw_meta): the last
    successful load, the last attempt and its outcome, and the newest record seen (the
    stream's cursor). A table, so the published copy carries it without raw_meta. -#}
{{ config(materialized='table', schema='bi', alias='data_freshness') }}

with

runs as (

    select * from {{ source('meta', 'load_runs') }}

),

states as (

    select * from {{ source('meta', 'stream_state') }}

),

ranked as (

    select
        source,
        stream,
        started_at,
        finished_at,
        status,
        rows_loaded,
        error,
        row_number() over (partition by source, stream order by started_at desc) as recency
    from runs

),

successes as (

    select
        source,
        stream,
        max(finished_at) as last_success_at
    from runs
    where status = 'succeeded'
    group by 1, 2

),

freshness as (

    select
        ranked.source,
        ranked.stream,
        successes.last_success_at,
        ranked.started_at as last_attempt_at,
        ranked.status as last_attempt_status,
        ranked.rows_loaded as last_attempt_rows,
        ranked.error as last_attempt_error,
        {{ iso_timestamp(json_text('states.cursor', '$.updated_at')) }} as newest_record_at
    from ranked
    left join successes
        on successes.source = ranked.source
        and successes.stream = ranked.stream
    left join states
        on states.source = ranked.source
        and states.stream = ranked.stream
    where ranked.recency = 1

)

select * from freshness

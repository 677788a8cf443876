{#- One row per JSM SLA cycle: "Time to first response" and "Time to resolution" custom
    fields, each with its completed cycles (one per (re)start of the clock) and at most one
    ongoing cycle. Durations are JSM's own: goal, elapsed and remaining in milliseconds of
    the SLA calendar's working time, as of the moment the issue was read. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reloaded_rows('issue_id', source('jira', 'issues'), config_hash=jira_custom_fields_hash()) }}",
) }}
with

source as (

    select * replace ({{ jira_issue_without_histories('raw_rows.record') }} as record)
    from {{ source('jira', 'issues') }} as raw_rows
    where not raw_rows._is_deleted
      and {{ loaded_since_last_build('issue_id', 'raw_rows') }}

),

custom_fields as (

    select * from {{ ref('stg_jira__custom_fields') }}

),

sla_fields as (

    select first_response_sla_field_id as field_id, 'response' as metric from custom_fields
    union all
    select resolution_sla_field_id, 'resolution' from custom_fields

),

slas as (

    select
        source.id as issue_id,
        source._loaded_at,
        sla_fields.field_id,
        sla_fields.metric,
        {{ jira_custom_field('source.record', 'sla_fields.field_id') }} as sla
    from source
    cross join sla_fields
    where sla_fields.field_id is not null

),

completed as (

    select
        issue_id, _loaded_at, field_id, metric,
        {{ json_text('sla', '$.name') }} as sla_name,
        'completed' as cycle_state,
        {{ jira_json_elements(jira_json_at('sla', '$.completedCycles')) }} as cycle
    from slas

),

ongoing as (

    select
        issue_id, _loaded_at, field_id, metric,
        {{ json_text('sla', '$.name') }} as sla_name,
        'ongoing' as cycle_state,
        {{ jira_json_at('sla', '$.ongoingCycle') }} as cycle
    from slas
    where {{ jira_json_at('sla', '$.ongoingCycle') }} is not null
      and {{ json_text('sla', '$.ongoingCycle.startTime.jira') }} is not null

),

cycles as (

    select * from completed
    union all
    select * from ongoing

),

renamed as (

    select
        issue_id,
        field_id as sla_field_id,
        sla_name,
        metric,
        cycle_state,
        row_number() over (
            partition by issue_id, field_id
            order by {{ iso_timestamp(json_text('cycle', '$.startTime.jira')) }}, cycle_state
        ) as cycle_number,
        {{ iso_timestamp(json_text('cycle', '$.startTime.jira')) }} as started_at,
        {{ iso_timestamp(json_text('cycle', '$.stopTime.jira')) }} as stopped_at,
        {{ iso_timestamp(json_text('cycle', '$.breachTime.jira')) }} as breach_at,
        {{ json_text('cycle', '$.breached') }} = 'true' as is_breached,
        coalesce({{ json_text('cycle', '$.paused') }} = 'true', false) as is_paused,
        {{ json_text('cycle', '$.withinCalendarHours') }} = 'true' as is_within_calendar_hours,
        {{ safe_cast(json_text('cycle', '$.goalDuration.millis'), 'bigint') }} as goal_ms,
        {{ safe_cast(json_text('cycle', '$.elapsedTime.millis'), 'bigint') }} as elapsed_ms,
        {{ safe_cast(json_text('cycle', '$.remainingTime.millis'), 'bigint') }} as remaining_ms,
        _loaded_at,
        -- the custom field ids these rows were read with
        {{ jira_custom_fields_hash() }} as _config_hash

    from cycles

)

select * from renamed

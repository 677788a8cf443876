{#- KPI periods are bounded in the reporting time zone (var reporting_timezone,
    env ITOPS_TIMEZONE, default UTC); weeks start on Monday. -#}

{% macro local_date(timestamp_expression) -%}
    cast(({{ timestamp_expression }} at time zone '{{ var("reporting_timezone") }}') as date)
{%- endmacro %}

{% macro period_start(grain, date_expression) -%}
    {%- if grain == 'day' -%}
        cast({{ date_expression }} as date)
    {%- else -%}
        cast({{ dbt.date_trunc(grain, date_expression) }} as date)
    {%- endif -%}
{%- endmacro %}

{% macro hours_between(start_expression, end_expression) -%}
    ({{ dbt.datediff(start_expression, end_expression, 'second') }} / 3600.0)
{%- endmacro %}

{% macro minutes_between(start_expression, end_expression) -%}
    ({{ dbt.datediff(start_expression, end_expression, 'second') }} / 60.0)
{%- endmacro %}

{#- A stable, readable key for an entity known by name in several systems ("Service Desk" -> service-desk). -#}
{% macro slug(expression) -%}
    trim(both '-' from regexp_replace(lower(trim({{ expression }})), '[^a-z0-9]+', '-', 'g'))
{%- endmacro %}

{#- One key per human across sources: a hash of the normalised e-mail address. -#}
{% macro person_key(email_expression) -%}
    left(md5(lower(trim({{ email_expression }}))), 16)
{%- endmacro %}

{#- A wall-clock timestamp (no zone) in IANA zone `tz` -> the UTC instant. Nonexistent local
    times (the hour skipped when DST starts) move forward; ambiguous ones (the hour repeated
    when DST ends) take the standard-time reading. -#}
{% macro local_to_utc(local_timestamp, tz) -%}
    {{ return(adapter.dispatch('local_to_utc', 'itops_kpi')(local_timestamp, tz)) }}
{%- endmacro %}

{% macro default__local_to_utc(local_timestamp, tz) -%}
    timezone({{ tz }}, {{ local_timestamp }})
{%- endmacro %}

{#- Minutes since midnight from 'HH:MM' or 'HH:MM:SS' text (or a TIME cast to text); '24:00' = 1440. -#}
{% macro minute_of_day(text_expression) -%}
    (cast({{ dbt.split_part(text_expression, "':'", 1) }} as integer) * 60
     + cast({{ dbt.split_part(text_expression, "':'", 2) }} as integer))
{%- endmacro %}

{% macro seconds_between(start_expression, end_expression) -%}
    {{ dbt.datediff(start_expression, end_expression, 'second') }}
{%- endmacro %}

{#- Minutes after local midnight as 'HH:MM' (1440 is '24:00', the end of the day). -#}
{% macro minute_of_day_to_hhmm(expression) -%}
    lpad(cast(cast(floor({{ expression }} / 60) as integer) as varchar), 2, '0') || ':'
        || lpad(cast(cast({{ expression }} - 60 * floor({{ expression }} / 60) as integer) as varchar), 2, '0')
{%- endmacro %}

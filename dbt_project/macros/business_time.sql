{#- The business clock. int_business_time_spine holds, per calendar key (a team, or '*'
    for the default calendar), every working interval in UTC with the business seconds
    worked before it. A team's business clock B(t) is then

        B(t) = seconds_before(i) + least(t - start(i), length(i))

    for the last interval i starting at or before t (0 before the first). The business
    time between two instants is B(t2) - B(t1): one sorted lookup per instant, whatever
    the span (overnight, weekends, holidays, DST changes, months) and whatever the volume.
    The inverse maps business seconds back to an instant (SLA breach times). -#}

{#- `relation` plus a column `output_column` = B(timestamp_column) on the calendar named by
    key_column; null when the timestamp is null. -#}
{% macro business_clock(relation, key_column, timestamp_column, output_column) -%}
    {{ return(adapter.dispatch('business_clock', 'itops_kpi')(relation, key_column, timestamp_column,
                                                               output_column)) }}
{%- endmacro %}

{% macro default__business_clock(relation, key_column, timestamp_column, output_column) -%}
    select
        points.*,
        {{ business_clock_value(timestamp_column) }} as {{ output_column }}
    from {{ relation }} as points
    asof left join {{ ref('int_business_time_spine') }} as spine
        on spine.calendar_key = points.{{ key_column }}
        and points.{{ timestamp_column }} >= spine.interval_start_at
{%- endmacro %}

{% macro postgres__business_clock(relation, key_column, timestamp_column, output_column) -%}
    select
        points.*,
        {{ business_clock_value(timestamp_column) }} as {{ output_column }}
    from {{ relation }} as points
    left join lateral (
        select * from {{ ref('int_business_time_spine') }} as s
        where s.calendar_key = points.{{ key_column }} and s.interval_start_at <= points.{{ timestamp_column }}
        order by s.interval_start_at desc
        limit 1
    ) as spine on true
{%- endmacro %}

{#- `relation` plus `output_column` = the instant at which the business clock of key_column
    reaches seconds_column (the earliest such instant: the start of working time when the
    value falls on an interval boundary); null beyond the spine's last interval. -#}
{% macro business_clock_inverse(relation, key_column, seconds_column, output_column) -%}
    {{ return(adapter.dispatch('business_clock_inverse', 'itops_kpi')(relation, key_column, seconds_column,
                                                                       output_column)) }}
{%- endmacro %}

{% macro default__business_clock_inverse(relation, key_column, seconds_column, output_column) -%}
    select
        points.*,
        {{ business_clock_inverse_value(seconds_column) }} as {{ output_column }}
    from {{ relation }} as points
    asof left join {{ ref('int_business_time_spine') }} as spine
        on spine.calendar_key = points.{{ key_column }}
        and points.{{ seconds_column }} >= spine.business_seconds_before
{%- endmacro %}

{% macro postgres__business_clock_inverse(relation, key_column, seconds_column, output_column) -%}
    select
        points.*,
        {{ business_clock_inverse_value(seconds_column) }} as {{ output_column }}
    from {{ relation }} as points
    left join lateral (
        select * from {{ ref('int_business_time_spine') }} as s
        where s.calendar_key = points.{{ key_column }} and s.business_seconds_before <= points.{{ seconds_column }}
        order by s.business_seconds_before desc
        limit 1
    ) as spine on true
{%- endmacro %}

{#- B(t) from `points` and the `spine` interval found for it (shared by both adapters' joins). -#}
{% macro business_clock_value(timestamp_column) -%}
    case
        when points.{{ timestamp_column }} is null then null
        when spine.calendar_key is null then cast(0 as bigint)
        else spine.business_seconds_before + least(
            {{ seconds_between('spine.interval_start_at', 'points.' ~ timestamp_column) }},
            spine.interval_seconds)
    end
{%- endmacro %}

{#- The inverse of B from `points` and the `spine` interval found for it. -#}
{% macro business_clock_inverse_value(seconds_column) -%}
    case
        when points.{{ seconds_column }} is null or spine.calendar_key is null then null
        when points.{{ seconds_column }} - spine.business_seconds_before > spine.interval_seconds then null
        else {{ dbt.dateadd('second', 'cast(points.' ~ seconds_column ~ ' - spine.business_seconds_before as bigint)',
                            'spine.interval_start_at') }}
    end
{%- endmacro %}

{#- Roll one KPI up to every grain (day, week, month) and dimension of kpi_metrics.

    `relation` is a CTE or model with one row per counted item: an `anchor_date`
    (the item's date in the reporting time zone: resolution date for durations,
    event date for volumes), the dimension columns it supports (source, team_id,
    service_id, priority, person_id, project_id, role_name) and its measures.

    kind:
      count  - number of rows; value = count
      sum    - sum(expr); value = sum
      mean   - numerator = sum(expr), denominator = count(expr); value = numerator / denominator
      ratio  - numerator = sum(num), denominator = sum(den); value = scale * numerator / denominator

    num_per / den_per divide the summed numerator / denominator once, after summing: sum
    exact integers (seconds) and report minutes or hours, and the figures do not depend on
    the order a parallel sum of fractions happened to add its rows in.
      median / p90 - value only (no numerator/denominator: a median cannot be rolled up)

    Ratios and means carry numerator and denominator, so any rollup a BI tool does
    is a ratio of sums, never an average of averages.

    Cost: additive kinds (count, sum, mean, ratio) first aggregate the items once per day
    and dimension combination, and roll that small relation up to every grain and
    dimension, so a metric scans its items once, not once per (grain, dimension). Medians
    and percentiles need the items themselves.

    In a period-incremental family (macros/kpi_incremental.sql) the items are narrowed to
    the days of the periods that changed since the last build.

    Unit tests narrow the output with the vars kpi_grains_override and
    kpi_dimensions_override, so an expectation lists a handful of rows. -#}
{% macro kpi_rollup(relation, metric, unit, kind, expr=none, num=none, den=none, scale=1,
                    dimensions=['all'], grains=['day', 'week', 'month'], num_per=1, den_per=1) -%}
    {#- Overrides narrow the grains and dimensions a call produces; they never add any (a
        backlog measured at month ends must not be rolled up from daily snapshots). -#}
    {%- set grains = grains | select('in', var('kpi_grains_override', grains)) | list -%}
    {%- set dimensions = dimensions | select('in', var('kpi_dimensions_override', dimensions)) | list -%}
    {%- set dim_columns = {'source': 'source', 'team': 'team_id', 'service': 'service_id',
                           'priority': 'priority', 'person': 'person_id', 'project': 'project_id',
                           'role': 'role_name'} -%}
    {%- set double = type_double() -%}
    {%- set additive = kind in ('count', 'sum', 'mean', 'ratio') -%}
    {%- if kind == 'count' -%}
        {%- set pre_measures = ['count(*) as item_count'] -%}
        {%- set numerator = 'cast(sum(item_count) as ' ~ double ~ ')' -%}
        {%- set denominator = 'cast(null as ' ~ double ~ ')' -%}
        {%- set value = numerator -%}
    {%- elif kind == 'sum' -%}
        {%- set pre_measures = ['sum(' ~ expr ~ ') as measure_sum'] -%}
        {%- set numerator = 'cast(sum(measure_sum) as ' ~ double ~ ')' -%}
        {%- set denominator = 'cast(null as ' ~ double ~ ')' -%}
        {%- set value = numerator -%}
    {%- elif kind == 'mean' -%}
        {%- set pre_measures = ['sum(' ~ expr ~ ') as measure_sum', 'count(' ~ expr ~ ') as measure_count'] -%}
        {%- set numerator = 'cast(sum(measure_sum) as ' ~ double ~ ')' -%}
        {%- set denominator = 'cast(sum(measure_count) as ' ~ double ~ ')' -%}
        {%- set value = numerator ~ ' / nullif(' ~ denominator ~ ', 0)' -%}
    {%- elif kind == 'ratio' -%}
        {%- set pre_measures = ['sum(' ~ num ~ ') as numerator_sum', 'sum(' ~ den ~ ') as denominator_sum'] -%}
        {%- set numerator = 'cast(sum(numerator_sum) as ' ~ double ~ ')' ~ (' / ' ~ num_per if num_per != 1 else '') -%}
        {%- set denominator = 'cast(sum(denominator_sum) as ' ~ double ~ ')' ~ (' / ' ~ den_per if den_per != 1 else '') -%}
        {%- set value = scale ~ ' * ' ~ numerator ~ ' / nullif(' ~ denominator ~ ', 0)' -%}
    {%- elif kind == 'median' -%}
        {%- set numerator = 'cast(null as ' ~ double ~ ')' -%}{%- set denominator = 'cast(null as ' ~ double ~ ')' -%}
        {%- set value = 'cast(' ~ median(expr) ~ ' as ' ~ double ~ ')' -%}
    {%- elif kind == 'p90' -%}
        {%- set numerator = 'cast(null as ' ~ double ~ ')' -%}{%- set denominator = 'cast(null as ' ~ double ~ ')' -%}
        {%- set value = 'cast(' ~ percentile(expr, 0.9) ~ ' as ' ~ double ~ ')' -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("kpi_rollup: unknown kind " ~ kind) }}
    {%- endif -%}
    {%- set used_columns = [] -%}
    {%- for dimension in dimensions if dimension != 'all' -%}
        {%- do used_columns.append(dim_columns[dimension]) -%}
    {%- endfor -%}
    {%- set parts = [] -%}
    {%- for grain in grains -%}
        {%- for dimension in dimensions -%}
            {%- if dimension == 'all' -%}
                {%- set dim_value = "'all'" -%}
            {%- else -%}
                {%- set dim_value = "coalesce(cast(" ~ dim_columns[dimension] ~ " as varchar), 'unknown')" -%}
            {%- endif -%}
            {%- set sql -%}
    select
        '{{ metric }}' as metric,
        '{{ grain }}' as grain,
        {{ period_start(grain, 'anchor_date') }} as period_start,
        '{{ dimension }}' as dimension,
        {{ dim_value }} as dimension_value,
        {{ numerator }} as numerator,
        {{ denominator }} as denominator,
        {{ value }} as value,
        '{{ unit }}' as unit
    from {{ 'daily' if additive else relation }}
    {%- if kind in ('median', 'p90') %}
    where {{ expr }} is not null and {{ kpi_changed_days_filter() }}
    {%- endif %}
    group by 1, 2, 3, 4, 5
            {%- endset -%}
            {%- do parts.append(sql) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if parts | length == 0 %}
    select
        cast(null as varchar) as metric, cast(null as varchar) as grain, cast(null as date) as period_start,
        cast(null as varchar) as dimension, cast(null as varchar) as dimension_value,
        cast(null as {{ double }}) as numerator, cast(null as {{ double }}) as denominator,
        cast(null as {{ double }}) as value, cast(null as varchar) as unit
    where 1 = 0
    {%- elif additive %}
    select * from (
        with daily as materialized (
            select
                anchor_date{% for column in used_columns %}, {{ column }}{% endfor %},
                {{ pre_measures | join(', ') }}
            from {{ relation }}
            where {{ kpi_changed_days_filter() }}
            {%- if kind == 'mean' %}
                and {{ expr }} is not null
            {%- endif %}
            group by anchor_date{% for column in used_columns %}, {{ column }}{% endfor %}
        )
        {{ parts | join('\n        union all\n') }}
    ) as {{ metric }}_rollup
    {%- else %}
    {{ parts | join('\n    union all\n') }}
    {%- endif %}
{%- endmacro %}

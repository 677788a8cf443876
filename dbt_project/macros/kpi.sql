{#- Roll one KPI up to every grain (day, week, month) and dimension of kpi_metrics.

    `relation` is a CTE or model with one row per counted item: an `anchor_date`
    (the item's date in the reporting time zone: resolution date for durations,
    event date for volumes), the dimension columns it supports (source, team_id,
    service_id, priority, person_id, project_id) and its measures.

    kind:
      count  - number of rows; value = count
      sum    - sum(expr); value = sum
      mean   - numerator = sum(expr), denominator = count(expr); value = numerator / denominator
      ratio  - numerator = sum(num), denominator = sum(den); value = scale * numerator / denominator
      median / p90 - value only (no numerator/denominator: a median cannot be rolled up)

    Ratios and means carry numerator and denominator, so any rollup a BI tool does
    is a ratio of sums, never an average of averages.

    Unit tests narrow the output with the vars kpi_grains_override and
    kpi_dimensions_override, so an expectation lists a handful of rows. -#}
{% macro kpi_rollup(relation, metric, unit, kind, expr=none, num=none, den=none, scale=1,
                    dimensions=['all'], grains=['day', 'week', 'month']) -%}
    {#- Overrides narrow the grains and dimensions a call produces; they never add any (a
        backlog measured at month ends must not be rolled up from daily snapshots). -#}
    {%- set grains = grains | select('in', var('kpi_grains_override', grains)) | list -%}
    {%- set dimensions = dimensions | select('in', var('kpi_dimensions_override', dimensions)) | list -%}
    {%- set dim_columns = {'source': 'source', 'team': 'team_id', 'service': 'service_id',
                           'priority': 'priority', 'person': 'person_id', 'project': 'project_id'} -%}
    {%- if kind == 'count' -%}
        {%- set numerator = 'cast(count(*) as ' ~ type_double() ~ ')' -%}{%- set denominator = 'cast(null as ' ~ type_double() ~ ')' -%}
        {%- set value = 'cast(count(*) as ' ~ type_double() ~ ')' -%}
    {%- elif kind == 'sum' -%}
        {%- set numerator = 'cast(sum(' ~ expr ~ ') as ' ~ type_double() ~ ')' -%}{%- set denominator = 'cast(null as ' ~ type_double() ~ ')' -%}
        {%- set value = numerator -%}
    {%- elif kind == 'mean' -%}
        {%- set numerator = 'cast(sum(' ~ expr ~ ') as ' ~ type_double() ~ ')' -%}
        {%- set denominator = 'cast(count(' ~ expr ~ ') as ' ~ type_double() ~ ')' -%}
        {%- set value = numerator ~ ' / nullif(' ~ denominator ~ ', 0)' -%}
    {%- elif kind == 'ratio' -%}
        {%- set numerator = 'cast(sum(' ~ num ~ ') as ' ~ type_double() ~ ')' -%}
        {%- set denominator = 'cast(sum(' ~ den ~ ') as ' ~ type_double() ~ ')' -%}
        {%- set value = scale ~ ' * ' ~ numerator ~ ' / nullif(' ~ denominator ~ ', 0)' -%}
    {%- elif kind == 'median' -%}
        {%- set numerator = 'cast(null as ' ~ type_double() ~ ')' -%}{%- set denominator = 'cast(null as ' ~ type_double() ~ ')' -%}
        {%- set value = 'cast(' ~ median(expr) ~ ' as ' ~ type_double() ~ ')' -%}
    {%- elif kind == 'p90' -%}
        {%- set numerator = 'cast(null as ' ~ type_double() ~ ')' -%}{%- set denominator = 'cast(null as ' ~ type_double() ~ ')' -%}
        {%- set value = 'cast(' ~ percentile(expr, 0.9) ~ ' as ' ~ type_double() ~ ')' -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("kpi_rollup: unknown kind " ~ kind) }}
    {%- endif -%}
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
    from {{ relation }}
    {%- if kind in ('mean', 'median', 'p90') %}
    where {{ expr }} is not null
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
        cast(null as {{ type_double() }}) as numerator, cast(null as {{ type_double() }}) as denominator,
        cast(null as {{ type_double() }}) as value, cast(null as varchar) as unit
    where 1 = 0
    {%- endif %}
    {{ parts | join('\n    union all\n') }}
{%- endmacro %}

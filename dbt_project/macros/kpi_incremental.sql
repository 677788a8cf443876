{#- Period-incremental KPI rollups.

    A KPI family (int_kpi__*) rolls items (tickets opened, SLAs decided, hours logged...) up
    to every day, week and month of history. Rebuilt whole, each night recomputed three
    years of periods to add one day; the night's changes touch a few periods (today's, and
    the older days whose tickets were updated, reassigned or reopened).

    Every row of such a model carries `period_fingerprint`: a fingerprint of all the items
    anchored in its (grain, period_start), over every column of every item relation the model
    rolls up (count and sum of 64-bit row hashes: a day's fingerprint adds up into its week's
    and month's, so hashing the items once costs one pass). On an incremental run

      1. the fingerprints are computed from the items as they are now (cheap: one hash a
         row, no rollup);
      2. a period is changed when its fingerprint differs from the one stored on its rows,
         when it has items and no rows, or rows and no items any more;
      3. the rollups read only the items of days in a changed period (a changed day's week
         and month are changed too: their fingerprints contain the day's), and the model
         returns the rows of the changed periods plus one marker row per changed period
         (metric null);
      4. the `kpi_periods` strategy deletes every stored row of the changed periods and
         inserts the new rows (never the markers): a period whose items all left keeps no
         rows.

    A run therefore leaves exactly the rows a full refresh would (tests/test_kpi_incremental.py
    compares them). Anything a KPI depends on must be a column of an item relation: an
    input outside them (the as-of instant, a target) would not be noticed. Models whose
    figures depend on the as-of instant (backlog, availability, forecast, projects) are
    tables, rebuilt whole. -#}

{#- The CTEs of step 1 and 2: kpi_day_fingerprints, kpi_period_fingerprints and, on an
    incremental run, kpi_changed_periods and kpi_changed_days. `relations` are the model's
    item CTEs (each with an `anchor_date`), `grains` the grains the model reports. Ends with
    a comma: the model's next CTE follows. -#}
{% macro kpi_period_fingerprints(relations, grains=['day', 'week', 'month']) -%}
kpi_day_fingerprints as materialized (

    select
        anchor_date,
        count(*) as item_count,
        sum(item_hash) as hash_sum
    from (
        {%- for relation in relations %}
        select anchor_date, {{ row_hash("'" ~ relation ~ "'", relation) }} as item_hash from {{ relation }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as items
    group by anchor_date

),

kpi_period_fingerprints as materialized (

    {%- for grain in grains %}
    select
        '{{ grain }}' as grain,
        {{ period_start(grain, 'anchor_date') }} as period_start,
        -- the model's own SQL is part of it: an edited definition recomputes every period
        '{{ local_md5(model.raw_code)[:12] }}:' || cast(sum(item_count) as varchar) || ':'
            || cast(sum(hash_sum) as varchar) as period_fingerprint
    from kpi_day_fingerprints
    group by 1, 2
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),
{%- if is_incremental() %}
{{- require_stored_column('period_fingerprint') }}

kpi_stored_periods as (

    select distinct grain, period_start, period_fingerprint from {{ this }}

),

kpi_changed_periods as materialized (

    select
        coalesce(current_periods.grain, stored.grain) as grain,
        coalesce(current_periods.period_start, stored.period_start) as period_start,
        current_periods.period_fingerprint
    from kpi_period_fingerprints as current_periods
    full outer join kpi_stored_periods as stored
        on stored.grain = current_periods.grain
        and stored.period_start is not distinct from current_periods.period_start
    where stored.period_fingerprint is distinct from current_periods.period_fingerprint

),

kpi_changed_days as materialized (

    select days.anchor_date
    from kpi_day_fingerprints as days
    where exists (
        select 1 from kpi_changed_periods as changed
        where
        {%- for grain in grains %}
            (changed.grain = '{{ grain }}'
                and changed.period_start is not distinct from {{ period_start(grain, 'days.anchor_date') }})
            {%- if not loop.last %} or{% endif %}
        {%- endfor %}
    )

),
{%- endif %}
{%- endmacro %}

{#- The filter kpi_rollup puts on its items: on an incremental run, the days of changed periods. -#}
{% macro kpi_changed_days_filter() -%}
    {%- if model.config.incremental_strategy == 'kpi_periods' and is_incremental() -%}
    anchor_date in (select anchor_date from kpi_changed_days)
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#- Step 3: the model's final select over its rolled-up rows: each row with its period's
    fingerprint and the dbt invocation that computed it; on an incremental run only the
    changed periods', plus their markers. -#}
{% macro kpi_periods_select(relation) -%}
select
    rows.*,
    fingerprints.period_fingerprint,
    '{{ invocation_id }}' as _invocation_id
from {{ relation }} as rows
left join kpi_period_fingerprints as fingerprints
    on fingerprints.grain = rows.grain
    and fingerprints.period_start is not distinct from rows.period_start
{%- if is_incremental() %}
where exists (
    select 1 from kpi_changed_periods as changed
    where changed.grain = rows.grain and changed.period_start is not distinct from rows.period_start
)

union all

-- one marker per changed period: the kpi_periods strategy clears the period, inserts no marker
select
    cast(null as varchar) as metric,
    grain,
    period_start,
    cast(null as varchar) as dimension,
    cast(null as varchar) as dimension_value,
    cast(null as {{ type_double() }}) as numerator,
    cast(null as {{ type_double() }}) as denominator,
    cast(null as {{ type_double() }}) as value,
    cast(null as varchar) as unit,
    period_fingerprint,
    '{{ invocation_id }}' as _invocation_id
from kpi_changed_periods
{%- endif %}
{%- endmacro %}

{#- Step 4, the incremental strategy of the int_kpi__* families (config incremental_strategy='kpi_periods'). -#}
{% macro get_incremental_kpi_periods_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set changed = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }} as stored
    using (select distinct grain, period_start from {{ changed }}) as changed
    where changed.grain = stored.grain
        and changed.period_start is not distinct from stored.period_start;

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ changed }} where metric is not null
{%- endmacro %}

{#- A 64-bit hash of a whole row of `relation` (DuckDB: the row as a struct) with a tag, as a
    hugeint so that sums of millions of them do not overflow. -#}
{% macro row_hash(tag, relation) -%}
    {{ return(adapter.dispatch('row_hash', 'itops_kpi')(tag, relation)) }}
{%- endmacro %}

{% macro default__row_hash(tag, relation) -%}
    cast(hash({{ tag }}, {{ relation }}) as hugeint)
{%- endmacro %}

{% macro postgres__row_hash(tag, relation) -%}
    cast(cast(cast(('x' || left(md5({{ tag }} || cast({{ relation }} as text)), 15)) as bit(60)) as bigint) as numeric)
{%- endmacro %}

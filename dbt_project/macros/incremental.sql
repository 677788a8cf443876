{#- Incremental refresh of the ticket facts.

    int_ticket_fingerprints hashes, per ticket, everything a fact row is computed from: the
    ticket's canonical record, its whole status history, the business-calendar
    configuration (and for SLAs the source SLA records and the targets). An incremental
    model stores the hash it was built from in `source_fingerprint`; before each run the
    pre-hook below deletes the rows of every ticket that

      - is gone from the sources (deleted there, or its source removed),
      - has a different fingerprint now (any late update, reopen, history row, calendar edit),
      - was updated within the lookback window (var ticket_lookback_hours, default 72,
        measured from the newest update of the ticket's own source), a safety net for
        inputs without a fingerprint,
      - or matches `extra_condition` (running SLAs, whose verdict depends on the as-of time),

    and the model then appends every ticket that has no rows: the deleted ones and new ones
    (including backfilled history, whatever its dates). A run therefore leaves exactly the
    rows a full refresh would build. -#}

{#- A text fingerprint of one row's columns. DuckDB: its 64-bit hash() (cheap at millions of
    rows; a DuckDB upgrade that changed it would rebuild every ticket once, nothing worse). -#}
{% macro fingerprint(columns) -%}
    {{ return(adapter.dispatch('fingerprint', 'itops_kpi')(columns)) }}
{%- endmacro %}

{% macro default__fingerprint(columns) -%}
    cast(hash({{ columns | join(', ') }}) as varchar)
{%- endmacro %}

{% macro postgres__fingerprint(columns) -%}
    md5(
    {%- for column in columns %}
        coalesce(cast({{ column }} as varchar), '~'){{ " || '|' ||" if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}

{#- An order-independent fingerprint of a group of rows (an aggregate): any row added,
    removed or changed changes it. -#}
{% macro fingerprint_agg(columns) -%}
    {{ return(adapter.dispatch('fingerprint_agg', 'itops_kpi')(columns)) }}
{%- endmacro %}

{% macro default__fingerprint_agg(columns) -%}
    cast(count(*) as varchar) || ':' || cast(sum(cast(hash({{ columns | join(', ') }}) as hugeint)) as varchar)
{%- endmacro %}

{% macro postgres__fingerprint_agg(columns) -%}
    md5(string_agg({{ postgres__fingerprint(columns) }}, ',' order by {{ postgres__fingerprint(columns) }}))
{%- endmacro %}

{% macro delete_stale_ticket_rows(fingerprint_column, extra_condition=none) -%}
    {%- if is_incremental() -%}
    {{- require_stored_column('source_fingerprint') }}
    delete from {{ this }}
    where ticket_key in (
        select stored.ticket_key
        from (select distinct ticket_key, source_fingerprint from {{ this }}) as stored
        left join {{ ref('int_ticket_fingerprints') }} as current_state
            on current_state.ticket_key = stored.ticket_key
        where current_state.ticket_key is null
            or current_state.{{ fingerprint_column }} <> stored.source_fingerprint
            or current_state.is_in_lookback
    )
    {%- if extra_condition %}
        or ticket_key in (select ticket_key from {{ this }} where {{ extra_condition }})
    {%- endif %}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- An incremental model's stored table must have `column` (its bookkeeping): one built by an
    earlier version of the project stops with the command that rebuilds it. -#}
{% macro require_stored_column(column) -%}
    {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if column not in stored_columns -%}
        {{ exceptions.raise_compiler_error(this ~ " was built by an earlier version of the project (no "
            ~ column ~ " column). Rebuild it once: dbt build --full-refresh --select " ~ this.identifier ~ "+") }}
    {%- endif -%}
{%- endmacro %}

{#- The tickets a model must (re)build: all on a full refresh, those without rows otherwise. -#}
{% macro tickets_without_rows(alias) -%}
    {%- if is_incremental() %}
    and not exists (select 1 from {{ this }} as built where built.ticket_key = {{ alias }}.ticket_key)
    {%- endif %}
{%- endmacro %}

{#- dbt's is_incremental, asking the warehouse only when the answer can be yes: under
    --full-refresh (as in the compile-only check against PostgreSQL, tests/test_deploy.py)
    no relation is looked up. -#}
{% macro is_incremental() -%}
    {%- if not execute or should_full_refresh() or model.config.materialized != 'incremental' -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(this.database, this.schema, this.table) -%}
    {{ return(relation is not none and relation.type == 'table') }}
{%- endmacro %}

{#- Incremental staging of a raw table.

    Staging is where every record's JSON is parsed, the costliest step of a build, and its
    cost grew with history while every night re-parsed every record ever loaded. A raw row's
    `_loaded_at` is the time of the load that last wrote it (a new version, or a deletion
    flag: connectors/core/landing.py), so the rows loaded since this model's last build are
    the only rows whose staging can differ. An incremental staging model keeps each raw
    row's `_loaded_at` on the rows it makes (one row per record, or several: a changelog's
    items), and on each run

      1. the pre-hook `delete_reloaded_rows` deletes the rows of every record loaded at or
         after the newest `_loaded_at` it holds (the records it is about to re-parse), and
         every row when `config_hash` (the field ids or vars the model's SQL reads) differs
         from the one its rows were made with;
      2. the model (`where {{ loaded_since_last_build(...) }}` on the raw table) parses the
         records loaded at or after the newest `_loaded_at` left, that have no rows.

    Step 2 never duplicates (a record with rows is skipped) and never misses: a record
    loaded after the last build has its rows deleted by step 1 (its `_loaded_at` is at or
    after the watermark), and if step 1 lowered the watermark, more records are
    considered, not fewer. A run therefore leaves exactly the rows a full refresh would.
    A change of the model's SQL needs `dbt build --full-refresh --select <model>+`, as for
    any dbt incremental model (docs/operations.md). -#}
{% macro delete_reloaded_rows(key, raw_relation, config_hash=none) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where {{ key }} in (
        select id from {{ raw_relation }}
        where _loaded_at >= (select max(_loaded_at) from {{ this }})
    )
    {%- if config_hash is not none %}
        or _config_hash is distinct from ({{ config_hash }})
    {%- endif %}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- The raw records an incremental staging model (re)parses; `true` on a full build. `alias`
    is the raw table's alias in the model, `key` the model's column holding the record id. -#}
{% macro loaded_since_last_build(key, alias) -%}
    {%- if is_incremental() -%}
    {{ alias }}._loaded_at >= coalesce((select max(_loaded_at) from {{ this }}), '-infinity'::timestamptz)
        and not exists (select 1 from {{ this }} as built where built.{{ key }} = {{ alias }}.id)
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#- One row per day in [start_date, end_date), column date_day, for literal ISO dates.

    dbt.date_spine asks the warehouse how many days lie between its bounds (a query
    at compile time), so a model using it cannot compile without a live connection.
    The bounds here are literals: Jinja counts the days, and dbt.generate_series /
    dbt.dateadd (cross-database macros) build the rows on any adapter. -#}
{% macro calendar_spine(start_date, end_date) -%}
    {%- set first = modules.datetime.date.fromisoformat(start_date) -%}
    {%- set days = (modules.datetime.date.fromisoformat(end_date) - first).days -%}
    select
        cast({{ dbt.dateadd('day', 'generated_number - 1', "cast('" ~ start_date ~ "' as date)") }} as date) as date_day
    from ({{ dbt.generate_series(days) }}) as series
{%- endmacro %}

"""Dagster definitions, one module per concern: connectors, dbt, jobs, schedules."""

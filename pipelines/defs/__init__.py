"""Dagster definitions, one module per concern: connectors (incremental stream assets),
history (partitioned backfill assets), dbt, checks, jobs, schedules, sensors (alerts)."""

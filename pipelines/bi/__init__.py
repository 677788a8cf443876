"""Serving the warehouse to people: the published read-only snapshot (DuckDB + Parquet),
the static KPI report, and the small web server for both.

BI tools and the report never open the working warehouse (one read-write process at a
time, half-built during a refresh); they read ``published/``, which a refresh replaces
in one rename once everything is built and checked.
"""
